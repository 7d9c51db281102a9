// Turns DataRows into TokenizedExamples with exact loss masks (prompt and non-assistant tokens get −100).
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>
/// Tokenises rows into (input ids, labels), untruncated (see <see cref="SequenceLayout"/> for length policies):
/// <list type="bullet">
/// <item><see cref="DataRowKind.Text"/>: ids = Encode(text, SpecialTokens.Add) (BOS as the tokenizer's
/// post-processor adds it) + [EOS] under <see cref="EosPolicy.Append"/>; labels = ids.</item>
/// <item><see cref="DataRowKind.PromptCompletion"/>: ids = before ++ Encode(prompt, None) ++ Encode(completion, None)
/// ++ after ++ [EOS], where before/after are the special tokens the post-processor puts around a sequence (e.g.
/// [BOS] and []; so for the usual BOS-only template this equals Encode(prompt, Add) ++ Encode(completion, None)
/// ++ [EOS]); the two parts are encoded separately so the boundary, and thus the mask, is exact; labels = −100
/// on before ++ prompt, the id elsewhere.</item>
/// <item><see cref="DataRowKind.Messages"/>: the chat template renders the conversation and
/// <see cref="AssistantSpans"/> finds each assistant turn's characters; the text is cut at the span boundaries
/// and every segment encoded with SpecialTokens.None (the template writes BOS itself, as transformers'
/// apply_chat_template does), so each token lies wholly inside or outside a span; labels are the ids inside
/// spans (content + end-of-turn token) and −100 elsewhere. No EOS is appended (the end-of-turn token stops
/// generation).</item>
/// </list>
/// Under <see cref="LossScope.All"/> every label is the id (no masking). The EOS is not appended when the
/// sequence already ends with it. Thread-safe (no mutable state).
/// </summary>
internal sealed class ExampleTokenizer
{
    private readonly Tokenizer _tokenizer;
    private readonly ChatTemplate? _template;
    private readonly IReadOnlyDictionary<string, object?>? _variables;
    private readonly int[] _before;
    private readonly int[] _after;
    private readonly string[] _specialTokens;

    /// <summary>Creates a tokeniser for rows.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">EOS policy (other members are used by <see cref="SequenceLayout"/>).</param>
    /// <param name="chatTemplate">Needed for <see cref="DataRowKind.Messages"/> rows.</param>
    /// <param name="templateVariables">Extra chat-template variables (e.g. enable_thinking), or null.</param>
    /// <exception cref="ArgumentException">EOS is to be appended but the tokenizer has no EOS id.</exception>
    public ExampleTokenizer(Tokenizer tokenizer, DataOptions options, ChatTemplate? chatTemplate = null,
        IReadOnlyDictionary<string, object?>? templateVariables = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Eos == EosPolicy.Append && tokenizer.EosId is null)
            throw new ArgumentException($"{tokenizer.SourcePath}: the tokenizer has no EOS token; use EosPolicy.None", nameof(tokenizer));
        _tokenizer = tokenizer;
        Options = options;
        _template = chatTemplate;
        _variables = templateVariables;
        (_before, _after) = SpecialWrap(tokenizer);
        _specialTokens = tokenizer.SpecialIds.Select(tokenizer.IdToToken).OfType<string>().ToArray();
    }

    /// <summary>The options.</summary>
    public DataOptions Options { get; }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>Tokenises every row, in order.</summary>
    /// <exception cref="InvalidDataException">A row cannot be tokenised (message names its file:line).</exception>
    public IReadOnlyList<TokenizedExample> TokenizeAll(IReadOnlyList<DataRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new TokenizedExample[rows.Count];
        for (int i = 0; i < rows.Count; i++) result[i] = Tokenize(rows[i]);
        return result;
    }

    /// <summary>Tokenises one row.</summary>
    /// <exception cref="InvalidDataException">A messages row without a chat template, or one the template cannot mask.</exception>
    public TokenizedExample Tokenize(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Kind switch
        {
            DataRowKind.Text => TokenizeText(row.Text!),
            DataRowKind.PromptCompletion => TokenizePromptCompletion(row.Prompt!, row.Completion!),
            DataRowKind.Messages => TokenizeMessages(row.Messages!, row.Source),
            _ => throw new ArgumentOutOfRangeException(nameof(row), row.Kind, "unknown row kind"),
        };
    }

    private TokenizedExample TokenizeText(string text)
    {
        var ids = new List<int>(_tokenizer.Encode(text, SpecialTokens.Add));
        AppendEos(ids);
        int[] a = [.. ids];
        return new TokenizedExample(a, (int[])a.Clone());
    }

    private TokenizedExample TokenizePromptCompletion(string prompt, string completion)
    {
        var ids = new List<int>(_before);
        ids.AddRange(_tokenizer.Encode(prompt, SpecialTokens.None));
        int promptLength = ids.Count;
        ids.AddRange(_tokenizer.Encode(completion, SpecialTokens.None));
        ids.AddRange(_after);
        AppendEos(ids);
        int[] a = [.. ids];
        int[] labels = (int[])a.Clone();
        if (Options.Loss == LossScope.Completion) Array.Fill(labels, TrainingBatch.IgnoreIndex, 0, promptLength);
        return new TokenizedExample(a, labels);
    }

    /// <summary>
    /// The post-processor's special tokens before and after a sequence, found by encoding a probe with and
    /// without them (the probe's own ids must appear as one contiguous run).
    /// </summary>
    private static (int[] Before, int[] After) SpecialWrap(Tokenizer tokenizer)
    {
        const string probe = "a";
        var plain = tokenizer.Encode(probe, SpecialTokens.None);
        var added = tokenizer.Encode(probe, SpecialTokens.Add);
        for (int at = 0; at + plain.Count <= added.Count; at++)
        {
            if (added.Skip(at).Take(plain.Count).SequenceEqual(plain)) return (added.Take(at).ToArray(), added.Skip(at + plain.Count).ToArray());
        }
        throw new ArgumentException($"{tokenizer.SourcePath}: the post-processor does not wrap the text in special tokens; prompt/completion rows cannot be encoded");
    }

    private TokenizedExample TokenizeMessages(IReadOnlyList<ChatMessage> messages, string source)
    {
        if (_template is null) throw new InvalidDataException($"{source}: a messages row needs a chat template (the tokenizer config has none and none was given)");
        var chat = AssistantSpans.Find(_template, messages, _variables, _specialTokens, source);
        var ids = new List<int>();
        var labels = new List<int>();
        int at = 0;
        foreach (var (start, end) in chat.Spans)
        {
            Segment(chat.Text[at..start], trained: false, ids, labels);
            Segment(chat.Text[start..end], trained: true, ids, labels);
            at = end;
        }
        Segment(chat.Text[at..], trained: false, ids, labels);
        return new TokenizedExample([.. ids], [.. labels]);
    }

    private void Segment(string text, bool trained, List<int> ids, List<int> labels)
    {
        if (text.Length == 0) return;
        foreach (int id in _tokenizer.Encode(text, SpecialTokens.None))
        {
            ids.Add(id);
            labels.Add(trained || Options.Loss == LossScope.All ? id : TrainingBatch.IgnoreIndex);
        }
    }

    private void AppendEos(List<int> ids)
    {
        if (Options.Eos == EosPolicy.Append && (ids.Count == 0 || ids[^1] != _tokenizer.EosId)) ids.Add(_tokenizer.EosId!.Value);
    }
}

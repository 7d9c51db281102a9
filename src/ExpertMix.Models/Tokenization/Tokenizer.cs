// A Hugging Face tokenizer.json tokenizer (BPE: byte-level and SentencePiece-style): encode, decode, special tokens.
namespace ExpertMix.Models.Tokenization;

/// <summary>
/// Tokenizer loaded from a Hugging Face <c>tokenizer.json</c> (or GPT-2 <c>vocab.json</c> + <c>merges.txt</c>),
/// reproducing the Rust <c>tokenizers</c> library: input → split on added tokens → normalizer → pre-tokenizer →
/// BPE → post-processor; decode: ids → token strings → decoder chain. Thread-safe; the BPE word cache is shared.
/// </summary>
public sealed partial class Tokenizer
{
    private readonly BpeModel _model;
    private readonly INormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly IPostProcessor? _postProcessor;
    private readonly IDecoder? _decoder;
    private readonly AddedTokenMatcher _rawAdded;
    private readonly AddedTokenMatcher _normalizedAdded;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, AddedToken> _addedByContent;
    private readonly HashSet<string> _specialContents;

    /// <summary>The file the tokenizer was read from (tokenizer.json or vocab.json).</summary>
    public string SourcePath { get; }

    /// <summary>Number of ids: max(model vocabulary ids, added token ids) + 1 (the embedding rows needed).</summary>
    public int VocabSize { get; }

    /// <summary>Beginning-of-sequence id from tokenizer_config.json's bos_token, else the template's leading special token; null if unknown.</summary>
    public int? BosId { get; }

    /// <summary>End-of-sequence id from tokenizer_config.json's eos_token, else a trailing template token or a well-known name; null if unknown.</summary>
    public int? EosId { get; }

    /// <summary>True when <see cref="Encode"/> with <see cref="SpecialTokens.Add"/> prepends <see cref="BosId"/>.</summary>
    public bool AddsBos { get; }

    /// <summary>
    /// tokenizer_config.json's add_bos_token (null when absent). Informational: <see cref="Encode"/> follows
    /// tokenizer.json's post-processor, which Hugging Face keeps in line with this flag when it saves the files.
    /// </summary>
    public bool? ConfigAddBosToken { get; }

    /// <summary>Ids of the added tokens marked <c>special</c>, ascending.</summary>
    public IReadOnlyList<int> SpecialIds { get; }

    /// <summary>Encodes <paramref name="text"/> into token ids.</summary>
    /// <param name="text">Input text (any Unicode; added tokens written in it are matched).</param>
    /// <param name="mode"><see cref="SpecialTokens.Add"/> applies the post-processor template (HF add_special_tokens=true).</param>
    /// <exception cref="InvalidDataException">A character cannot be represented (no byte fallback and no unk token).</exception>
    public IReadOnlyList<int> Encode(string text, SpecialTokens mode)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        var rawSplits = new List<AddedSplit>();
        _rawAdded.Split(text, rawSplits);
        var normSplits = new List<AddedSplit>();
        var segments = new List<Segment>();
        var words = new List<Segment>();
        foreach (var raw in rawSplits)
        {
            if (raw.Id >= 0)
            {
                ids.Add(raw.Id);
                continue;
            }
            string piece = raw.Start == 0 && raw.End == text.Length ? text : text[raw.Start..raw.End];
            string normalized = _normalizer?.Normalize(piece) ?? piece;
            normSplits.Clear();
            _normalizedAdded.Split(normalized, normSplits);
            foreach (var ns in normSplits)
            {
                if (ns.Id >= 0)
                {
                    ids.Add(ns.Id);
                    continue;
                }
                if (ns.End == ns.Start) continue;
                string sub = ns.Start == 0 && ns.End == normalized.Length ? normalized : normalized[ns.Start..ns.End];
                segments.Clear();
                segments.Add(new Segment(sub, raw.Start == 0 && ns.Start == 0));
                List<Segment> pre;
                if (_preTokenizer is null)
                {
                    pre = segments;
                }
                else
                {
                    words.Clear();
                    _preTokenizer.PreTokenize(segments, words);
                    pre = words;
                }
                foreach (var w in pre) _model.Tokenize(w.Text, ids);
            }
        }
        return _postProcessor is null ? ids : _postProcessor.Process(ids, mode == SpecialTokens.Add);
    }

    /// <summary>Decodes ids to text: ids → token strings (unknown ids are dropped) → decoder chain.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="mode"><see cref="SkipSpecial.Yes"/> drops special added tokens (HF skip_special_tokens=true).</param>
    /// <returns>The text; invalid UTF-8 from partial byte sequences becomes U+FFFD, as in the Rust library.</returns>
    public string Decode(IReadOnlyList<int> ids, SkipSpecial mode)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>(ids.Count);
        foreach (int id in ids)
        {
            string? t = IdToToken(id);
            if (t is null) continue;
            if (mode == SkipSpecial.Yes && _specialContents.Contains(t)) continue;
            tokens.Add(t);
        }
        if (_decoder is null) return string.Join(' ', tokens);
        return string.Concat(_decoder.DecodeChain(tokens));
    }

    /// <summary>The token string of <paramref name="id"/> (added tokens first, then the model vocabulary); null if none.</summary>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var a) ? a.Content : _model.IdToToken(id);

    /// <summary>The id of the token string <paramref name="token"/> (added tokens first); null if none.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _addedByContent.TryGetValue(token, out var a) ? a.Id : _model.TokenToId(token);
    }

    /// <summary>The BPE model (for tests and benchmarks of its internals).</summary>
    internal BpeModel Model => _model;

    /// <summary>The normalizer, if any.</summary>
    internal INormalizer? Normalizer => _normalizer;

    /// <summary>True when <paramref name="id"/> is a special added token.</summary>
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var a) && a.Special;
}

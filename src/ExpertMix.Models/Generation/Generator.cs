// KV-cached text generation over any ICausalLm: batched left-padded prompts, sampling, stop criteria, streaming.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Generation;

/// <summary>
/// Generates text with a causal LM and its tokenizer. A prefill over the (left-padded) prompts, in chunks of
/// <see cref="ChunkedPrefill.DefaultChunk"/> tokens, fills a KV cache, then one single-token forward per step computes only the last position's logits; each row is sampled
/// by its own <see cref="Sampler"/> (seed + row), detokenized incrementally and ended by its own
/// <see cref="StopCriteria"/>. Finished rows keep feeding their last id (their outputs are ignored) until every row
/// has finished.
/// </summary>
public sealed class Generator
{
    /// <summary>Creates a generator; <paramref name="chatTemplate"/> is needed only for <see cref="PromptFormat.Chat"/>.</summary>
    public Generator(ICausalLm model, Tokenizer tokenizer, ChatTemplate? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Model = model;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
    }

    /// <summary>
    /// Loads a Hugging Face model directory in one call: the model (<see cref="CausalLm.Load"/>), its tokenizer
    /// (tokenizer.json, or vocab.json + merges.txt) and its chat template (tokenizer_config.json, if any). The caller owns
    /// <see cref="Model"/> and disposes it.
    /// </summary>
    /// <exception cref="FileNotFoundException">config.json, the weights or the tokenizer are missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (the message names it).</exception>
    public static Generator Load(string directory, LoadOptions? options = null)
    {
        var model = CausalLm.Load(directory, options);
        try
        {
            return ForDirectory(model, directory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A generator over <paramref name="model"/> (e.g. with adapters attached) using the tokenizer and chat template of <paramref name="directory"/>.</summary>
    public static Generator ForDirectory(ICausalLm model, string directory) =>
        new(model, Tokenizer.FromDirectory(directory), ChatTemplate.FromDirectory(directory));

    /// <summary>The model.</summary>
    public ICausalLm Model { get; }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The chat template, if the model directory has one.</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>EOS ids used when the options do not override them: the model's generation config, else the tokenizer's EOS.</summary>
    public IReadOnlyList<int> DefaultEosIds =>
        Model.Info.EosTokenIds.Count > 0 ? Model.Info.EosTokenIds : Tokenizer.EosId is { } e ? [e] : [];

    /// <summary>Token ids of <paramref name="prompt"/> in <paramref name="format"/>.</summary>
    /// <exception cref="InvalidOperationException">Chat format without a chat template.</exception>
    public IReadOnlyList<int> EncodePrompt(string prompt, PromptFormat format)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (format == PromptFormat.Raw) return Tokenizer.Encode(prompt, SpecialTokens.Add);
        var template = ChatTemplate ?? throw new InvalidOperationException(
            $"the model has no chat template (no chat_template in tokenizer_config.json next to {Tokenizer.SourcePath})");
        string text = template.Render(new ChatTemplateInput([new ChatMessage("user", prompt)])
        {
            AddGenerationPrompt = true,
            BosToken = template.BosToken,
            EosToken = template.EosToken,
        });
        return Tokenizer.Encode(text, SpecialTokens.None);
    }

    /// <summary>Generates a continuation of <paramref name="prompt"/>.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, PromptFormat format = PromptFormat.Raw, CancellationToken cancellationToken = default) =>
        Generate([EncodePrompt(prompt, format)], options, null, cancellationToken)[0];

    /// <summary>Streams the continuation of <paramref name="prompt"/> piece by piece as text becomes final.</summary>
    public async IAsyncEnumerable<string> StreamAsync(string prompt, GenerationOptions options, PromptFormat format = PromptFormat.Raw,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ids = EncodePrompt(prompt, format);
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() =>
        {
            try
            {
                Generate([ids], options, (_, text) => channel.Writer.TryWrite(text), cancellationToken);
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, cancellationToken);
        await foreach (var piece in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return piece;
        await producer.ConfigureAwait(false);
    }

    /// <summary>
    /// Generates continuations of several prompts (token ids) in one batch. <paramref name="onText"/>(row, text) is called
    /// with each piece of final text as soon as it is known.
    /// </summary>
    /// <exception cref="ArgumentException">No prompts, an empty prompt, or prompt + max new tokens beyond the model's positions.</exception>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        Action<int, string>? onText = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("no prompts to generate from", nameof(prompts));
        for (int b = 0; b < prompts.Count; b++)
        {
            if (prompts[b].Count == 0) throw new ArgumentException($"prompt {b} is empty (no tokens)", nameof(prompts));
        }
        var eos = DefaultEosIds;
        var layout = BatchLayout.LeftPadded(prompts, eos.Count > 0 ? eos[0] : 0);
        int batch = layout.BatchSize, promptLength = layout.Length, maxLength = promptLength + options.MaxNewTokens;
        if (maxLength > Model.Info.MaxPositions)
        {
            throw new ArgumentException(
                $"prompt ({promptLength} tokens) + max new tokens ({options.MaxNewTokens}) = {maxLength} exceeds the model's {Model.Info.MaxPositions} positions", nameof(options));
        }

        var rows = new Row[batch];
        var samplers = Sampler.ForBatch(options, batch);
        for (int b = 0; b < batch; b++) rows[b] = new Row(prompts[b], new StopCriteria(options, eos), new StreamingDecoder(Tokenizer, SkipSpecial.Yes));
        bool padded = Enumerable.Range(0, batch).Any(b => layout.PadCount(b) > 0);
        var mask = padded ? layout.AttentionMask.ToArray() : null;

        using var cache = Model.CreateCache(batch, maxLength, options.KvCacheDType);
        var input = layout.InputIdsTensor();
        var clock = Stopwatch.StartNew();
        double prefillMs = 0;
        int steps = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (TensorScope.Begin())
                {
                    using var maskTensor = mask is null ? null : Tensor.FromInts(mask, new Shape(batch, mask.Length / batch));
                    var ctx = new ForwardContext { Cache = cache, AttentionMask = maskTensor, Logits = LogitsSelection.LastPosition };
                    using var logits = steps == 0 ? ChunkedPrefill.Forward(Model, input, ctx) : Model.Forward(input, ctx); // [B, 1, V]
                    int vocab = logits.Size(2);
                    var all = logits.Span;
                    for (int b = 0; b < batch; b++)
                    {
                        if (!rows[b].Stop.IsFinished) rows[b].Feed(samplers[b].Sample(all.Slice(b * vocab, vocab), rows[b].History), b, onText);
                    }
                }
                if (steps == 0) prefillMs = clock.Elapsed.TotalMilliseconds;
                if (rows.All(r => r.Stop.IsFinished)) break;
                steps++;
                input.Dispose();
                input = Tensor.FromInts([.. rows.Select(r => r.History[^1])], new Shape(batch, 1));
                if (mask is not null) mask = AppendOnes(mask, batch);
            }
        }
        finally
        {
            input.Dispose();
        }
        var timings = new GenerationTimings(batch * promptLength, prefillMs, steps, clock.Elapsed.TotalMilliseconds - prefillMs);
        return [.. rows.Select(r => new GenerationResult(r.Text.ToString(), r.Generated, r.PromptTokens, r.Stop.Finish!.Value, timings))];
    }

    private static int[] AppendOnes(int[] mask, int batch)
    {
        int s = mask.Length / batch;
        var grown = new int[batch * (s + 1)];
        for (int b = 0; b < batch; b++)
        {
            Array.Copy(mask, b * s, grown, b * (s + 1), s);
            grown[b * (s + 1) + s] = 1;
        }
        return grown;
    }

    /// <summary>Per-row state: history (prompt + generated), stop criteria, incremental detokenizer, text so far.</summary>
    private sealed class Row(IReadOnlyList<int> prompt, StopCriteria stop, StreamingDecoder decoder)
    {
        public List<int> History { get; } = [.. prompt];
        public List<int> Generated { get; } = [];
        public int PromptTokens { get; } = prompt.Count;
        public StopCriteria Stop { get; } = stop;
        public System.Text.StringBuilder Text { get; } = new();

        public void Feed(int id, int row, Action<int, string>? onText)
        {
            History.Add(id);
            Generated.Add(id);
            var outcome = Stop.Step(id, Stop.IsEos(id) ? "" : decoder.Push(id));
            string text = outcome.Text;
            // A sequence that ends for any reason but a stop string releases bytes the detokenizer still holds.
            if (outcome.Finish is { } f && f != FinishReason.StopString) text += decoder.Flush();
            if (text.Length == 0) return;
            Text.Append(text);
            onText?.Invoke(row, text);
        }
    }
}

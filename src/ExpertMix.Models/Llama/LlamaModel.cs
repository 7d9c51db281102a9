// LlamaModel (HF modeling_llama.py): embed_tokens → N decoder layers → final RMSNorm, RoPE tables built once per forward.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Llama;

/// <summary>
/// The decoder stack under the <c>model.</c> prefix: ids [B, T] → hidden [B, T, C] (embed_tokens, layers, norm).
/// Computes the sequence layout (positions, padding mask) and cos/sin tables once and hands them to every layer.
/// </summary>
public sealed class LlamaModel : IModule, IDisposable
{
    private readonly LlamaConfig _config;
    private readonly RotaryEmbedding _rotary;

    /// <summary>Loads <c>embed_tokens</c>, <c>layers.{i}</c>, <c>norm</c> from <paramref name="ws"/> (already scoped to <c>model</c>).</summary>
    public LlamaModel(LlamaConfig config, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        _config = config;
        EmbedTokens = new Embedding(ws.FullName("embed_tokens"), ws.Get("embed_tokens.weight", config.VocabSize, config.HiddenSize));  // [V, C]
        var layers = ws.Scope("layers");
        Layers = Enumerable.Range(0, config.NumLayers).Select(i => new LlamaDecoderLayer(config, i, layers.Scope(i))).ToArray();
        Norm = new RmsNorm(ws.FullName("norm"), ws.Get("norm.weight", config.HiddenSize), (float)config.RmsNormEps);                  // [C]
        _rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>embed_tokens [V, C].</summary>
    public Embedding EmbedTokens { get; }

    /// <summary>layers.</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers { get; }

    /// <summary>norm.</summary>
    public RmsNorm Norm { get; }

    /// <summary>The rotary embedding (inverse frequencies after rope_scaling).</summary>
    public RotaryEmbedding Rotary => _rotary;

    /// <summary>
    /// ids [B, T] → normalised hidden states [B, T, C], or [B, 1, C] for the last position when
    /// <c>ctx.Logits</c> is LastPosition. Appends to and advances <c>ctx.Cache</c> when present.
    /// </summary>
    public Tensor Forward(Tensor inputIds, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(ctx);
        if (inputIds.Rank != 2) throw new ArgumentException($"input ids {inputIds.Describe()} must be [B, T]", nameof(inputIds));
        int b = inputIds.Size(0), t = inputIds.Size(1);
        if (ctx.Cache is { } c && (c.Batch != b || c.Layers != Layers.Count)) throw new ArgumentException($"KV cache for batch {c.Batch} × {c.Layers} layers used with batch {b} × {Layers.Count} layers", nameof(ctx));
        if (ctx.PastLength + t > _config.MaxPositions) throw new ArgumentOutOfRangeException(nameof(inputIds), $"{ctx.PastLength} cached + {t} new positions exceed max_position_embeddings {_config.MaxPositions}");
        if (_config.SlidingWindow is int window && ctx.PastLength + t > window)
        {
            throw new NotSupportedException($"{_config.Architecture}: {ctx.PastLength} cached + {t} new positions exceed sliding_window {window}; sliding-window attention is not implemented");
        }
        bool keepGraph = ForwardScope.KeepsGraph(ctx, this);
        using var layout = SequenceLayout.Resolve(ctx, b, t);
        var (cos, sin) = _rotary.Tables(layout);                               // [T, Dh/2] or [B, T, Dh/2]
        using (cos)
        using (sin)
        {
            var inputs = new AttentionInputs(layout, cos, sin);
            var h = EmbedTokens.Forward(inputIds);                             // [B, T, C]
            ctx.Tap("embed", -1, h);
            foreach (var layer in Layers)
            {
                var next = ForwardScope.Run(keepGraph, () => layer.Forward(h, inputs, ctx));  // [B, T, C]
                ForwardScope.Release(keepGraph, h);
                h = next;
            }
            ctx.Cache?.Advance(t);
            var last = h;
            if (ctx.Logits == LogitsSelection.LastPosition && t > 1)
            {
                using var view = h.Narrow(1, t - 1, 1);                        // [B, 1, C]
                last = view.Contiguous();
                ForwardScope.Release(keepGraph, h);
            }
            var y = Norm.Forward(last);                                        // [B, T|1, C]
            ForwardScope.Release(keepGraph, last);
            ctx.Tap("final_norm", -1, y);
            return y;
        }
    }

    /// <summary>Every projection slot, layer by layer.</summary>
    public IEnumerable<LinearSlot> Linears => Layers.SelectMany(l => l.SelfAttn.Linears.Concat(l.Mlp.Linears));

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() =>
        EmbedTokens.NamedParameters().Concat(Layers.SelectMany(l => l.NamedParameters())).Concat(Norm.NamedParameters());

    /// <summary>Releases every sub-module.</summary>
    public void Dispose()
    {
        EmbedTokens.Dispose();
        foreach (var l in Layers) l.Dispose();
        Norm.Dispose();
    }
}

// GPT2Model (HF modeling_gpt2.py): wte + wpe → N blocks → ln_f.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Gpt2;

/// <summary>ids [B, T] → wte(ids) + wpe(positions) → blocks h.{i} → ln_f → [B, T, C] (or [B, 1, C] for LastPosition).</summary>
public sealed class Gpt2Model : IModule, IDisposable
{
    private readonly Gpt2Config _config;

    /// <summary>Loads <c>wte</c>, <c>wpe</c>, <c>h.{i}</c>, <c>ln_f</c> from <paramref name="ws"/> (scoped to <c>transformer</c> or the root).</summary>
    public Gpt2Model(Gpt2Config config, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        _config = config;
        int c = config.HiddenSize;
        Wte = new Embedding(ws.FullName("wte"), ws.Get("wte.weight", config.VocabSize, c));      // [V, C]
        Wpe = new Embedding(ws.FullName("wpe"), ws.Get("wpe.weight", config.MaxPositions, c));   // [P, C]
        var h = ws.Scope("h");
        Blocks = Enumerable.Range(0, config.NumLayers).Select(i => new Gpt2Block(config, i, h.Scope(i))).ToArray();
        LnF = new LayerNorm(ws.FullName("ln_f"), ws.Get("ln_f.weight", c), ws.Get("ln_f.bias", c), (float)config.LayerNormEps);  // [C], [C]
    }

    /// <summary>wte [V, C].</summary>
    public Embedding Wte { get; }

    /// <summary>wpe [P, C].</summary>
    public Embedding Wpe { get; }

    /// <summary>h.</summary>
    public IReadOnlyList<Gpt2Block> Blocks { get; }

    /// <summary>ln_f.</summary>
    public LayerNorm LnF { get; }

    /// <summary>Every projection slot, block by block.</summary>
    public IEnumerable<LinearSlot> Linears => Blocks.SelectMany(b => b.Attn.Linears.Concat(b.Mlp.Linears));

    /// <summary>ids [B, T] → hidden states after ln_f (caller owns them); appends to and advances <c>ctx.Cache</c>.</summary>
    public Tensor Forward(Tensor inputIds, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(ctx);
        if (inputIds.Rank != 2) throw new ArgumentException($"input ids {inputIds.Describe()} must be [B, T]", nameof(inputIds));
        int b = inputIds.Size(0), t = inputIds.Size(1);
        if (ctx.Cache is { } c && (c.Batch != b || c.Layers != Blocks.Count)) throw new ArgumentException($"KV cache for batch {c.Batch} × {c.Layers} layers used with batch {b} × {Blocks.Count} layers", nameof(ctx));
        if (ctx.PastLength + t > _config.MaxPositions) throw new ArgumentOutOfRangeException(nameof(inputIds), $"{ctx.PastLength} cached + {t} new positions exceed n_positions {_config.MaxPositions}");
        bool keepGraph = ForwardScope.KeepsGraph(ctx, this);
        using var layout = SequenceLayout.Resolve(ctx, b, t);
        var inputs = new AttentionInputs(layout, null, null);
        var h = ForwardScope.Run(keepGraph, () =>
        {
            var pos = layout.PositionTensor();                                 // [T] or [B, T]
            var tok = Wte.Forward(inputIds);                                   // [B, T, C]
            var pe = Wpe.Forward(pos);                                         // [T, C] or [B, T, C]
            return Ops.Add(tok, pe);                                           // [B, T, C]
        });
        ctx.Tap("embed", -1, h);
        foreach (var block in Blocks)
        {
            var next = ForwardScope.Run(keepGraph, () => block.Forward(h, inputs, ctx));  // [B, T, C]
            ForwardScope.Release(keepGraph, h);
            h = next;
        }
        ctx.Cache?.Advance(t);
        var last = h;
        if (ctx.Logits == LogitsSelection.LastPosition && t > 1)
        {
            using var view = h.Narrow(1, t - 1, 1);                            // [B, 1, C]
            last = view.Contiguous();
            ForwardScope.Release(keepGraph, h);
        }
        var y = LnF.Forward(last);                                             // [B, T|1, C]
        ForwardScope.Release(keepGraph, last);
        ctx.Tap("final_norm", -1, y);
        return y;
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() =>
        Wte.NamedParameters().Concat(Wpe.NamedParameters()).Concat(Blocks.SelectMany(b => b.NamedParameters())).Concat(LnF.NamedParameters());

    /// <summary>Releases every sub-module.</summary>
    public void Dispose()
    {
        Wte.Dispose();
        Wpe.Dispose();
        foreach (var b in Blocks) b.Dispose();
        LnF.Dispose();
    }
}

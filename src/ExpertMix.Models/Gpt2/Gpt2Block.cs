// GPT2Block (HF modeling_gpt2.py): pre-LayerNorm attention and MLP with residuals.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Gpt2;

/// <summary>h = x + attn(ln_1(x)); out = h + mlp(ln_2(h)); all [B, T, C].</summary>
public sealed class Gpt2Block : IModule, IDisposable
{
    private readonly int _layer;

    /// <summary>Loads <c>{prefix}ln_1</c>, <c>attn</c>, <c>ln_2</c>, <c>mlp</c>.</summary>
    public Gpt2Block(Gpt2Config config, int layer, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        _layer = layer;
        int c = config.HiddenSize;
        float eps = (float)config.LayerNormEps;
        Ln1 = new LayerNorm(ws.FullName("ln_1"), ws.Get("ln_1.weight", c), ws.Get("ln_1.bias", c), eps);   // [C], [C]
        Attn = new Gpt2Attention(config, layer, ws.Scope("attn"));
        Ln2 = new LayerNorm(ws.FullName("ln_2"), ws.Get("ln_2.weight", c), ws.Get("ln_2.bias", c), eps);   // [C], [C]
        Mlp = new Gpt2Mlp(config, ws.Scope("mlp"));
    }

    /// <summary>ln_1.</summary>
    public LayerNorm Ln1 { get; }

    /// <summary>attn.</summary>
    public Gpt2Attention Attn { get; }

    /// <summary>ln_2.</summary>
    public LayerNorm Ln2 { get; }

    /// <summary>mlp.</summary>
    public Gpt2Mlp Mlp { get; }

    /// <summary>x [B, T, C] → [B, T, C]; intermediates belong to the enclosing scope (see <see cref="ForwardScope"/>).</summary>
    public Tensor Forward(Tensor x, AttentionInputs inputs, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var n1 = Ln1.Forward(x);                       // [B, T, C]
        bool keepGraph = ForwardScope.KeepsGraph(ctx, this);   // no graph: each sub-block frees its intermediates on return
        var a = ForwardScope.Run(keepGraph, () => Attn.Forward(n1, inputs, ctx));   // [B, T, C]
        ctx.Tap("attn_out", _layer, a);
        var h = Ops.Add(x, a);                         // [B, T, C]
        ForwardScope.Release(keepGraph, n1);
        ForwardScope.Release(keepGraph, a);
        var n2 = Ln2.Forward(h);                       // [B, T, C]
        var m = ForwardScope.Run(keepGraph, () => Mlp.Forward(n2, ctx));           // [B, T, C]
        ctx.Tap("mlp_out", _layer, m);
        var y = Ops.Add(h, m);                         // [B, T, C]
        ctx.Tap("layer_out", _layer, y);
        return y;
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() =>
        Ln1.NamedParameters().Concat(Attn.NamedParameters()).Concat(Ln2.NamedParameters()).Concat(Mlp.NamedParameters());

    /// <summary>Releases the sub-modules.</summary>
    public void Dispose()
    {
        Ln1.Dispose();
        Attn.Dispose();
        Ln2.Dispose();
        Mlp.Dispose();
    }
}

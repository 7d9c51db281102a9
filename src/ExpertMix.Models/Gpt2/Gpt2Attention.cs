// GPT2Attention (HF modeling_gpt2.py): fused c_attn → q, k, v; causal multi-head attention; c_proj.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Gpt2;

/// <summary>qkv = c_attn(x) [B,T,3C] split into q, k, v [B,H,T,Dh]; softmax(q·kᵀ/√Dh + mask, causal)·v; c_proj [B,T,C]. Conv1D weights.</summary>
public sealed class Gpt2Attention : IModule, IDisposable
{
    private readonly Gpt2Config _config;
    private readonly int _layer;

    /// <summary>Loads <c>{prefix}c_attn</c> and <c>c_proj</c>.</summary>
    public Gpt2Attention(Gpt2Config config, int layer, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        _config = config;
        _layer = layer;
        int c = config.HiddenSize;
        CAttn = new LinearSlot(Gpt2Mlp.LoadConv1D(ws, "c_attn", c, 3 * c));   // stored [C, 3C] → W [3C, C]
        CProj = new LinearSlot(Gpt2Mlp.LoadConv1D(ws, "c_proj", c, c));       // stored [C, C]
        ws.DeclareConsumed("bias");          // old checkpoints store the causal-mask buffer attn.bias [1, 1, P, P]
        ws.DeclareConsumed("masked_bias");   // and attn.masked_bias (a scalar)
    }

    /// <summary>c_attn (q, k, v fused).</summary>
    public LinearSlot CAttn { get; }

    /// <summary>c_proj.</summary>
    public LinearSlot CProj { get; }

    /// <summary>The projection slots.</summary>
    public IEnumerable<LinearSlot> Linears => [CAttn, CProj];

    /// <summary>x [B, T, C] → [B, T, C]; intermediates belong to the enclosing scope (see <see cref="ForwardScope"/>).</summary>
    public Tensor Forward(Tensor x, AttentionInputs inputs, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(ctx);
        int b = x.Size(0), t = x.Size(1), h = _config.NumHeads, dh = _config.HeadDim;
        var qkv = CAttn.Forward(x, ctx);                        // [B, T, 3C]
        var split = qkv.Reshape(b, t, 3, h, dh);                // [B, T, 3, H, Dh]
        var heads = split.Permute(2, 0, 3, 1, 4);               // [3, B, H, T, Dh]
        var q = heads.Select(0, 0);                             // [B, H, T, Dh]
        var k = heads.Select(0, 1);                             // [B, H, T, Dh]
        var v = heads.Select(0, 2);                             // [B, H, T, Dh]
        Tensor? cachedK = null, cachedV = null;                 // [B, H, S, Dh] cache views (no gradient)
        if (ctx.Cache is { } cache) (cachedK, cachedV) = cache.Append(_layer, k, v);
        var o = Ops.ScaledDotProductAttention(q, cachedK ?? k, cachedV ?? v, inputs.Layout.AdditiveMask, causal: true);  // [B, H, T, Dh]
        ctx.Tap("attn_context", _layer, o);
        var ot = o.Transpose(1, 2);                             // [B, T, H, Dh]
        var merged = ot.Reshape(b, t, h * dh);                  // [B, T, C]
        return CProj.Forward(merged, ctx);                      // [B, T, C]
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => Linears.SelectMany(s => s.Module.NamedParameters());

    /// <summary>Releases the projections.</summary>
    public void Dispose()
    {
        foreach (var s in Linears) s.DisposeModule();
    }
}

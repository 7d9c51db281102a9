// LlamaAttention (HF modeling_llama.py): q/k/v/o projections, GQA, rotate-half RoPE, optional Qwen3 q/k norm, KV cache.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Llama;

/// <summary>
/// Multi-head self-attention with grouped kv heads:
/// q = q_proj(x) [B,T,H·Dh], k/v = k_proj/v_proj(x) [B,T,Hkv·Dh]; Qwen3 normalises q and k per head (RMSNorm over Dh)
/// before RoPE; causal softmax(q·kᵀ/√Dh + mask)·v over cached + new keys; o = o_proj [B,T,C].
/// Biases: q/k/v when <see cref="LlamaConfig.QkvBias"/>, o when <see cref="LlamaConfig.OutputBias"/>.
/// </summary>
public sealed class LlamaAttention : IModule, IDisposable
{
    private readonly LlamaConfig _config;
    private readonly int _layer;
    private readonly RmsNorm? _qNorm;
    private readonly RmsNorm? _kNorm;

    /// <summary>Loads <c>{prefix}q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>o_proj</c> (and <c>q_norm</c>, <c>k_norm</c>) from <paramref name="ws"/>.</summary>
    public LlamaAttention(LlamaConfig config, int layer, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        _config = config;
        _layer = layer;
        int c = config.HiddenSize, h = config.NumHeads, hkv = config.NumKvHeads, dh = config.HeadDim;
        QProj = new LinearSlot(LlamaMlp.LoadLinear(ws, "q_proj", h * dh, c, config.QkvBias));     // W [H·Dh, C]
        KProj = new LinearSlot(LlamaMlp.LoadLinear(ws, "k_proj", hkv * dh, c, config.QkvBias));   // W [Hkv·Dh, C]
        VProj = new LinearSlot(LlamaMlp.LoadLinear(ws, "v_proj", hkv * dh, c, config.QkvBias));   // W [Hkv·Dh, C]
        OProj = new LinearSlot(LlamaMlp.LoadLinear(ws, "o_proj", c, h * dh, config.OutputBias));  // W [C, H·Dh]
        ws.DeclareConsumed("rotary_emb.inv_freq");   // a buffer older conversions saved; transformers ignores it too
        if (config.QkNorm)
        {
            _qNorm = new RmsNorm(ws.FullName("q_norm"), ws.Get("q_norm.weight", dh), (float)config.RmsNormEps);  // [Dh]
            _kNorm = new RmsNorm(ws.FullName("k_norm"), ws.Get("k_norm.weight", dh), (float)config.RmsNormEps);  // [Dh]
        }
    }

    /// <summary>q_proj.</summary>
    public LinearSlot QProj { get; }

    /// <summary>k_proj.</summary>
    public LinearSlot KProj { get; }

    /// <summary>v_proj.</summary>
    public LinearSlot VProj { get; }

    /// <summary>o_proj.</summary>
    public LinearSlot OProj { get; }

    /// <summary>The four projection slots.</summary>
    public IEnumerable<LinearSlot> Linears => [QProj, KProj, VProj, OProj];

    /// <summary>x [B, T, C] → [B, T, C]; intermediates belong to the enclosing scope (see <see cref="ForwardScope"/>).</summary>
    public Tensor Forward(Tensor x, AttentionInputs inputs, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(inputs);
        int b = x.Size(0), t = x.Size(1), h = _config.NumHeads, hkv = _config.NumKvHeads, dh = _config.HeadDim;
        var q = Heads(QProj.Forward(x, ctx), b, t, h, dh, _qNorm);           // [B, H, T, Dh] (view)
        var k = Heads(KProj.Forward(x, ctx), b, t, hkv, dh, _kNorm);         // [B, Hkv, T, Dh] (view)
        var v = Heads(VProj.Forward(x, ctx), b, t, hkv, dh, null);           // [B, Hkv, T, Dh] (view)
        var qr = RotaryEmbedding.Apply(q, inputs.Cos!, inputs.Sin!);         // [B, H, T, Dh]
        var kr = RotaryEmbedding.Apply(k, inputs.Cos!, inputs.Sin!);         // [B, Hkv, T, Dh]
        Tensor? cachedK = null, cachedV = null;                              // [B, Hkv, S, Dh] cache views (no gradient)
        if (ctx.Cache is { } cache) (cachedK, cachedV) = cache.Append(_layer, kr, v);
        var o = Ops.ScaledDotProductAttention(qr, cachedK ?? kr, cachedV ?? v, inputs.Layout.AdditiveMask, causal: true);  // [B, H, T, Dh]
        ctx.Tap("attn_context", _layer, o);
        var ot = o.Transpose(1, 2);                                          // [B, T, H, Dh]
        var merged = ot.Reshape(b, t, h * dh);                               // [B, T, H·Dh]
        return OProj.Forward(merged, ctx);                                   // [B, T, C]
    }

    /// <summary>[B, T, n·Dh] → [B, n, T, Dh] (optionally RMS-normalised per head over Dh).</summary>
    private static Tensor Heads(Tensor y, int b, int t, int n, int dh, RmsNorm? norm)
    {
        var split = y.Reshape(b, t, n, dh);                                  // [B, T, n, Dh]
        var normed = norm is null ? split : norm.Forward(split);             // [B, T, n, Dh]
        return normed.Transpose(1, 2);                                       // [B, n, T, Dh]
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters()
    {
        foreach (var p in QProj.Module.NamedParameters()) yield return p;
        foreach (var p in KProj.Module.NamedParameters()) yield return p;
        foreach (var p in VProj.Module.NamedParameters()) yield return p;
        foreach (var p in OProj.Module.NamedParameters()) yield return p;
        if (_qNorm is not null) foreach (var p in _qNorm.NamedParameters()) yield return p;
        if (_kNorm is not null) foreach (var p in _kNorm.NamedParameters()) yield return p;
    }

    /// <summary>Releases the projections and norms.</summary>
    public void Dispose()
    {
        foreach (var s in Linears) s.DisposeModule();
        _qNorm?.Dispose();
        _kNorm?.Dispose();
    }
}

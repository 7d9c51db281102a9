// LlamaDecoderLayer (HF modeling_llama.py): pre-norm attention and MLP with residuals.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Llama;

/// <summary>h = x + self_attn(input_layernorm(x)); out = h + mlp(post_attention_layernorm(h)); all [B, T, C].</summary>
public sealed class LlamaDecoderLayer : IModule, IDisposable
{
    private readonly int _layer;

    /// <summary>Loads <c>{prefix}self_attn</c>, <c>mlp</c>, <c>input_layernorm</c>, <c>post_attention_layernorm</c>.</summary>
    public LlamaDecoderLayer(LlamaConfig config, int layer, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        _layer = layer;
        float eps = (float)config.RmsNormEps;
        SelfAttn = new LlamaAttention(config, layer, ws.Scope("self_attn"));
        Mlp = new LlamaMlp(config, ws.Scope("mlp"));
        InputLayerNorm = new RmsNorm(ws.FullName("input_layernorm"), ws.Get("input_layernorm.weight", config.HiddenSize), eps);                    // [C]
        PostAttentionLayerNorm = new RmsNorm(ws.FullName("post_attention_layernorm"), ws.Get("post_attention_layernorm.weight", config.HiddenSize), eps);  // [C]
    }

    /// <summary>self_attn.</summary>
    public LlamaAttention SelfAttn { get; }

    /// <summary>mlp.</summary>
    public LlamaMlp Mlp { get; }

    /// <summary>input_layernorm.</summary>
    public RmsNorm InputLayerNorm { get; }

    /// <summary>post_attention_layernorm.</summary>
    public RmsNorm PostAttentionLayerNorm { get; }

    /// <summary>x [B, T, C] → [B, T, C]; intermediates belong to the enclosing scope (see <see cref="ForwardScope"/>).</summary>
    public Tensor Forward(Tensor x, AttentionInputs inputs, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var n1 = InputLayerNorm.Forward(x);                    // [B, T, C]
        bool keepGraph = ForwardScope.KeepsGraph(ctx, this);   // no graph: each sub-block frees its intermediates on return
        var a = ForwardScope.Run(keepGraph, () => SelfAttn.Forward(n1, inputs, ctx));   // [B, T, C]
        ctx.Tap("attn_out", _layer, a);
        var h = Ops.Add(x, a);                                 // [B, T, C]
        ForwardScope.Release(keepGraph, n1);
        ForwardScope.Release(keepGraph, a);
        var n2 = PostAttentionLayerNorm.Forward(h);            // [B, T, C]
        var m = ForwardScope.Run(keepGraph, () => Mlp.Forward(n2, ctx));           // [B, T, C]
        ctx.Tap("mlp_out", _layer, m);
        var y = Ops.Add(h, m);                                 // [B, T, C]
        ctx.Tap("layer_out", _layer, y);
        return y;
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() =>
        SelfAttn.NamedParameters().Concat(Mlp.NamedParameters()).Concat(InputLayerNorm.NamedParameters()).Concat(PostAttentionLayerNorm.NamedParameters());

    /// <summary>Releases the sub-modules.</summary>
    public void Dispose()
    {
        SelfAttn.Dispose();
        Mlp.Dispose();
        InputLayerNorm.Dispose();
        PostAttentionLayerNorm.Dispose();
    }
}

// LlamaForCausalLM — also Mistral, Qwen2 (q/k/v bias) and Qwen3 (q/k norm) as config variants of the same code.
//
// Model: decoder-only transformer, https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py
// Traits: RMSNorm pre-norm; grouped-query attention (Hkv ≤ H, head_dim may differ from C/H); rotate-half RoPE with
// rope_theta and rope_scaling (linear, llama3); SwiGLU MLP; optional biases (attention_bias, Qwen2 q/k/v, mlp_bias);
// Qwen3 per-head q_norm/k_norm; lm_head optionally tied to embed_tokens (tie_word_embeddings).
// Checkpoint names: model.embed_tokens, model.layers.{i}.self_attn.{q,k,v,o}_proj, .mlp.{gate,up,down}_proj,
// .input_layernorm, .post_attention_layernorm, model.norm, lm_head.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Llama;

/// <summary>The Llama-family causal LM: <see cref="LlamaModel"/> plus lm_head [V, C] (own or tied).</summary>
public sealed class LlamaForCausalLM : ICausalLm
{
    private readonly LinearSlot[] _linears;

    /// <summary>Builds the model from <paramref name="ws"/> (root scope); <paramref name="info"/> supplies load facts.</summary>
    public LlamaForCausalLM(LlamaConfig config, WeightSource ws, Func<LlamaForCausalLM, ModelInfo>? info = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        Config = config;
        Model = new LlamaModel(config, ws.Scope("model"));
        LmHead = Models.LmHead.Create(ws, Model.EmbedTokens.Weight, config.TieWordEmbeddings, config.VocabSize, config.HiddenSize);
        _linears = [.. Model.Linears, LmHead];
        Info = info?.Invoke(this) ?? DefaultInfo(this);
    }

    /// <summary>The resolved config.</summary>
    public LlamaConfig Config { get; }

    /// <summary>model.</summary>
    public LlamaModel Model { get; }

    /// <summary>lm_head.</summary>
    public LinearSlot LmHead { get; }

    /// <inheritdoc/>
    public ModelInfo Info { get; }

    /// <inheritdoc/>
    public IReadOnlyList<LinearSlot> Linears => _linears;

    /// <inheritdoc/>
    public Tensor Forward(Tensor inputIds, ForwardContext ctx) => Models.LmHead.Forward(this, LmHead, () => Model.Forward(inputIds, ctx), ctx);

    /// <inheritdoc/>
    public KvCache CreateCache(int batch, int maxLength, DType dtype = DType.F32) =>
        new(Config.NumLayers, batch, Config.NumKvHeads, maxLength, Config.HeadDim, dtype);

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => Model.NamedParameters().Concat(LmHead.Module.NamedParameters());

    /// <summary>Releases every weight.</summary>
    public void Dispose()
    {
        LmHead.DisposeModule();
        Model.Dispose();
    }

    internal static ModelInfo DefaultInfo(LlamaForCausalLM m) => new()
    {
        Architecture = m.Config.Architecture,
        ModelType = m.Config.ModelType,
        VocabSize = m.Config.VocabSize,
        Layers = m.Config.NumLayers,
        HiddenSize = m.Config.HiddenSize,
        Heads = m.Config.NumHeads,
        KvHeads = m.Config.NumKvHeads,
        HeadDim = m.Config.HeadDim,
        MaxPositions = m.Config.MaxPositions,
        ParameterCount = m.NamedParameters().Sum(p => p.Param.Numel),
        DType = m.Model.EmbedTokens.Weight.DType,
        BosTokenId = m.Config.BosTokenId,
        EosTokenIds = m.Config.EosTokenIds,
        Warnings = m.Config.SlidingWindow is int w
            ? [$"sliding_window {w} is not implemented: sequences longer than {w} positions are refused"]
            : [],
    };
}

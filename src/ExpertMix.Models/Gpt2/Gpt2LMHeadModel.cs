// GPT2LMHeadModel — OpenAI GPT-2 as in HF.
//
// Model: https://github.com/huggingface/transformers/blob/main/src/transformers/models/gpt2/modeling_gpt2.py
// Traits: learned absolute positions (wpe); pre-LayerNorm blocks with biases; fused q/k/v projection c_attn;
// Conv1D weights stored [in, out] (transposed once at load by Conv1DLinear); gelu_new (tanh) MLP of width n_inner;
// multi-head attention (no GQA, no RoPE); lm_head tied to wte.
// Checkpoint names: transformer.wte, transformer.wpe, transformer.h.{i}.ln_1, .attn.c_attn, .attn.c_proj, .ln_2,
// .mlp.c_fc, .mlp.c_proj, transformer.ln_f (the original hub files omit the "transformer." prefix; both load).
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Gpt2;

/// <summary>The GPT-2 causal LM: <see cref="Gpt2Model"/> plus lm_head (tied to wte unless tie_word_embeddings is false).</summary>
public sealed class Gpt2LMHeadModel : ICausalLm
{
    private readonly LinearSlot[] _linears;

    /// <summary>Builds the model from <paramref name="ws"/> (the checkpoint root).</summary>
    public Gpt2LMHeadModel(Gpt2Config config, WeightSource ws, Func<Gpt2LMHeadModel, ModelInfo>? info = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        Config = config;
        // HF's GPT2LMHeadModel prefixes the base model with "transformer."; hub checkpoints saved from GPT2Model do not.
        var root = !ws.IsMeta && !ws.Contains("transformer.wte.weight") && ws.Contains("wte.weight") ? ws : ws.Scope("transformer");
        Transformer = new Gpt2Model(config, root);
        LmHead = Models.LmHead.Create(ws, Transformer.Wte.Weight, config.TieWordEmbeddings, config.VocabSize, config.HiddenSize);
        _linears = [.. Transformer.Linears, LmHead];
        Info = info?.Invoke(this) ?? DefaultInfo(this);
    }

    /// <summary>The resolved config.</summary>
    public Gpt2Config Config { get; }

    /// <summary>transformer.</summary>
    public Gpt2Model Transformer { get; }

    /// <summary>lm_head.</summary>
    public LinearSlot LmHead { get; }

    /// <inheritdoc/>
    public ModelInfo Info { get; }

    /// <inheritdoc/>
    public IReadOnlyList<LinearSlot> Linears => _linears;

    /// <inheritdoc/>
    public Tensor Forward(Tensor inputIds, ForwardContext ctx) => Models.LmHead.Forward(this, LmHead, () => Transformer.Forward(inputIds, ctx), ctx);

    /// <inheritdoc/>
    public KvCache CreateCache(int batch, int maxLength, DType dtype = DType.F32) => new(Config.NumLayers, batch, Config.NumHeads, maxLength, Config.HeadDim, dtype);

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => Transformer.NamedParameters().Concat(LmHead.Module.NamedParameters());

    /// <summary>Releases every weight.</summary>
    public void Dispose()
    {
        LmHead.DisposeModule();
        Transformer.Dispose();
    }

    internal static ModelInfo DefaultInfo(Gpt2LMHeadModel m) => new()
    {
        Architecture = "GPT2LMHeadModel",
        ModelType = m.Config.ModelType,
        VocabSize = m.Config.VocabSize,
        Layers = m.Config.NumLayers,
        HiddenSize = m.Config.HiddenSize,
        Heads = m.Config.NumHeads,
        KvHeads = m.Config.NumHeads,
        HeadDim = m.Config.HeadDim,
        MaxPositions = m.Config.MaxPositions,
        ParameterCount = m.NamedParameters().Sum(p => p.Param.Numel),
        DType = m.Transformer.Wte.Weight.DType,
        BosTokenId = m.Config.BosTokenId,
        EosTokenIds = m.Config.EosTokenIds,
    };
}

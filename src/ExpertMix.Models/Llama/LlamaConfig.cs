// Resolved Llama-family config (stage 2): defaults applied, derived HeadDim and KvGroups, traits per variant.
using ExpertMix.Nn;

namespace ExpertMix.Models.Llama;

/// <summary>
/// Immutable Llama/Mistral/Qwen2/Qwen3 hyper-parameters. Required config.json keys: vocab_size, hidden_size,
/// intermediate_size, num_hidden_layers, num_attention_heads. Defaults as in HF: num_key_value_heads = heads,
/// head_dim = hidden/heads (Qwen3: 128), rms_norm_eps 1e-6, rope_theta 10000, tie_word_embeddings false.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The HF architecture name.</summary>
    public required string Architecture { get; init; }

    /// <summary>The family member.</summary>
    public required LlamaVariant Variant { get; init; }

    /// <summary>config.json model_type.</summary>
    public required string ModelType { get; init; }

    /// <summary>V.</summary>
    public required int VocabSize { get; init; }

    /// <summary>C.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>MLP width.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>L.</summary>
    public required int NumLayers { get; init; }

    /// <summary>H.</summary>
    public required int NumHeads { get; init; }

    /// <summary>Hkv.</summary>
    public required int NumKvHeads { get; init; }

    /// <summary>Dh (may differ from C/H).</summary>
    public required int HeadDim { get; init; }

    /// <summary>H / Hkv query heads per kv head.</summary>
    public int KvGroups => NumHeads / NumKvHeads;

    /// <summary>max_position_embeddings.</summary>
    public int MaxPositions { get; init; } = 2048;

    /// <summary>rms_norm_eps.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>rope_theta.</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary>rope_scaling.</summary>
    public RopeScaling RopeScaling { get; init; } = RopeScaling.None;

    /// <summary>lm_head shares embed_tokens.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>q/k/v projections carry a bias.</summary>
    public bool QkvBias { get; init; }

    /// <summary>o_proj carries a bias.</summary>
    public bool OutputBias { get; init; }

    /// <summary>gate/up/down carry a bias.</summary>
    public bool MlpBias { get; init; }

    /// <summary>Qwen3 per-head RMSNorm of q and k.</summary>
    public bool QkNorm { get; init; }

    /// <summary>
    /// Sliding-window attention span (Mistral's sliding_window; Qwen2's when use_sliding_window), or null. Not
    /// implemented: the model refuses sequences longer than the window instead of silently attending further.
    /// </summary>
    public int? SlidingWindow { get; init; }

    /// <summary>bos_token_id from config.json.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>eos_token_id(s) from config.json.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Resolves <paramref name="raw"/> for <paramref name="variant"/>.</summary>
    /// <exception cref="InvalidDataException">A required key is missing or a value is inconsistent (names config.json and the key).</exception>
    /// <exception cref="NotSupportedException">An unsupported hidden_act or rope_scaling type (names config.json).</exception>
    public static LlamaConfig FromJson(HfConfigJson raw, string architecture, LlamaVariant variant)
    {
        ArgumentNullException.ThrowIfNull(raw);
        int hidden = raw.Require(raw.HiddenSize, "hidden_size", architecture);
        int heads = raw.Require(raw.NumAttentionHeads, "num_attention_heads", architecture);
        int vocab = raw.Require(raw.VocabSize, "vocab_size", architecture);
        int inter = raw.Require(raw.IntermediateSize, "intermediate_size", architecture);
        int layers = raw.Require(raw.NumHiddenLayers, "num_hidden_layers", architecture);
        int kvHeads = raw.NumKeyValueHeads ?? heads;
        int headDim = raw.HeadDim ?? (variant == LlamaVariant.Qwen3 ? 128 : hidden / Math.Max(heads, 1));
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
        {
            throw new InvalidDataException($"{raw.Path}: num_attention_heads {heads} must be a positive multiple of num_key_value_heads {kvHeads}");
        }
        if (raw.HeadDim is null && hidden % heads != 0) throw new InvalidDataException($"{raw.Path}: hidden_size {hidden} is not divisible by num_attention_heads {heads} and head_dim is not given");
        string act = raw.HiddenAct ?? "silu";
        if (act != "silu") throw new NotSupportedException($"{raw.Path}: hidden_act '{act}' is not supported for {architecture} (only 'silu')");
        bool attentionBias = raw.AttentionBias ?? false;
        return new LlamaConfig
        {
            Architecture = architecture,
            Variant = variant,
            ModelType = raw.ModelType ?? variant.ToString().ToLowerInvariant(),
            VocabSize = vocab,
            HiddenSize = hidden,
            IntermediateSize = inter,
            NumLayers = layers,
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            MaxPositions = raw.MaxPositionEmbeddings ?? 2048,
            RmsNormEps = raw.RmsNormEps ?? 1e-6,
            RopeTheta = raw.RopeTheta ?? 10000,
            RopeScaling = ParseScaling(raw),
            TieWordEmbeddings = raw.TieWordEmbeddings ?? false,
            QkvBias = variant == LlamaVariant.Qwen2 || attentionBias,
            OutputBias = variant != LlamaVariant.Qwen2 && attentionBias,
            MlpBias = raw.MlpBias ?? false,
            QkNorm = variant == LlamaVariant.Qwen3,
            SlidingWindow = variant == LlamaVariant.Mistral || raw.UseSlidingWindow == true ? raw.SlidingWindow : null,
            BosTokenId = HfConfigJson.TokenIds(raw.BosTokenId).Cast<int?>().FirstOrDefault(),
            EosTokenIds = HfConfigJson.TokenIds(raw.EosTokenId),
        };
    }

    private static RopeScaling ParseScaling(HfConfigJson raw)
    {
        if (raw.RopeScaling is not { } s) return RopeScaling.None;
        string type = s.RopeType ?? s.Type ?? "default";
        return type switch
        {
            "default" => RopeScaling.None,
            "linear" => new RopeScaling(RopeScalingKind.Linear, s.Factor ?? throw Missing(raw, "rope_scaling.factor")),
            "llama3" => new RopeScaling(RopeScalingKind.Llama3,
                s.Factor ?? throw Missing(raw, "rope_scaling.factor"),
                s.LowFreqFactor ?? throw Missing(raw, "rope_scaling.low_freq_factor"),
                s.HighFreqFactor ?? throw Missing(raw, "rope_scaling.high_freq_factor"),
                s.OriginalMaxPositionEmbeddings ?? throw Missing(raw, "rope_scaling.original_max_position_embeddings")),
            _ => throw new NotSupportedException($"{raw.Path}: rope_scaling type '{type}' is not supported (supported: default, linear, llama3)"),
        };
    }

    private static InvalidDataException Missing(HfConfigJson raw, string key) => new($"{raw.Path}: missing required key '{key}'");
}

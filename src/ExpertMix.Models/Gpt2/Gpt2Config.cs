// Resolved GPT-2 config (stage 2): n_embd, n_layer, n_head, n_positions, n_inner, epsilon, activation.
namespace ExpertMix.Models.Gpt2;

/// <summary>
/// Immutable GPT-2 hyper-parameters. Required config.json keys: vocab_size, n_embd, n_layer, n_head. Defaults as
/// in HF GPT2Config: n_positions 1024 (or n_ctx), n_inner 4·n_embd, layer_norm_epsilon 1e-5,
/// activation_function gelu_new, tie_word_embeddings true.
/// </summary>
public sealed record Gpt2Config
{
    /// <summary>config.json model_type.</summary>
    public string ModelType { get; init; } = "gpt2";

    /// <summary>V.</summary>
    public required int VocabSize { get; init; }

    /// <summary>C (n_embd).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>L (n_layer).</summary>
    public required int NumLayers { get; init; }

    /// <summary>H (n_head).</summary>
    public required int NumHeads { get; init; }

    /// <summary>Dh = C / H.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>n_positions: rows of wpe.</summary>
    public int MaxPositions { get; init; } = 1024;

    /// <summary>MLP width (n_inner, default 4·C).</summary>
    public required int InnerSize { get; init; }

    /// <summary>layer_norm_epsilon.</summary>
    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>True for gelu_new / gelu_pytorch_tanh (tanh approximation), false for exact gelu.</summary>
    public bool GeluTanh { get; init; } = true;

    /// <summary>lm_head shares wte (HF default true).</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>bos_token_id.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>eos_token_id(s).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Resolves <paramref name="raw"/>.</summary>
    /// <exception cref="InvalidDataException">A required key is missing or n_embd is not divisible by n_head (names config.json).</exception>
    /// <exception cref="NotSupportedException">An unsupported activation_function or scale_attn_by_inverse_layer_idx.</exception>
    public static Gpt2Config FromJson(HfConfigJson raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        const string arch = "GPT2LMHeadModel";
        int c = raw.Require(raw.NEmbd, "n_embd", arch);
        int h = raw.Require(raw.NHead, "n_head", arch);
        int l = raw.Require(raw.NLayer, "n_layer", arch);
        int v = raw.Require(raw.VocabSize, "vocab_size", arch);
        if (h <= 0 || c % h != 0) throw new InvalidDataException($"{raw.Path}: n_embd {c} is not divisible by n_head {h}");
        string act = raw.ActivationFunction ?? "gelu_new";
        bool tanh = act switch
        {
            "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => true,
            "gelu" => false,
            _ => throw new NotSupportedException($"{raw.Path}: activation_function '{act}' is not supported for {arch} (gelu_new, gelu_pytorch_tanh, gelu)"),
        };
        if (raw.ScaleAttnByInverseLayerIdx == true) throw new NotSupportedException($"{raw.Path}: scale_attn_by_inverse_layer_idx is not supported");
        return new Gpt2Config
        {
            ModelType = raw.ModelType ?? "gpt2",
            VocabSize = v,
            HiddenSize = c,
            NumLayers = l,
            NumHeads = h,
            MaxPositions = raw.NPositions ?? raw.NCtx ?? 1024,
            InnerSize = raw.NInner ?? 4 * c,
            LayerNormEps = raw.LayerNormEpsilon ?? 1e-5,
            GeluTanh = tanh,
            TieWordEmbeddings = raw.TieWordEmbeddings ?? true,
            BosTokenId = HfConfigJson.TokenIds(raw.BosTokenId).Cast<int?>().FirstOrDefault(),
            EosTokenIds = HfConfigJson.TokenIds(raw.EosTokenId),
        };
    }
}

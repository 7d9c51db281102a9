// The raw config.json DTO: HF keys bound by [JsonPropertyName], every field nullable (stage 1 of the two-stage config).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExpertMix.Models;

/// <summary>
/// config.json as written by Hugging Face for the supported architectures (Llama family and GPT-2). Absent keys stay
/// null; the per-architecture resolved configs apply defaults and report missing required keys.
/// </summary>
public sealed class HfConfigJson
{
    /// <summary>config.json <c>architectures</c>: the HF class names; the first one selects the architecture.</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; set; }
    /// <summary>config.json <c>model_type</c>: the family (gpt2, llama, mistral, qwen2, qwen3); used when <c>architectures</c> is absent.</summary>
    [JsonPropertyName("model_type")] public string? ModelType { get; set; }
    /// <summary>config.json <c>vocab_size</c>: vocabulary size V (rows of the embedding and the LM head).</summary>
    [JsonPropertyName("vocab_size")] public int? VocabSize { get; set; }
    /// <summary>config.json <c>hidden_size</c>: model width C.</summary>
    [JsonPropertyName("hidden_size")] public int? HiddenSize { get; set; }
    /// <summary>config.json <c>intermediate_size</c>: MLP width I.</summary>
    [JsonPropertyName("intermediate_size")] public int? IntermediateSize { get; set; }
    /// <summary>config.json <c>num_hidden_layers</c>: number of decoder layers.</summary>
    [JsonPropertyName("num_hidden_layers")] public int? NumHiddenLayers { get; set; }
    /// <summary>config.json <c>num_attention_heads</c>: query heads H.</summary>
    [JsonPropertyName("num_attention_heads")] public int? NumAttentionHeads { get; set; }
    /// <summary>config.json <c>num_key_value_heads</c>: key/value heads Hkv (GQA; default H).</summary>
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; set; }
    /// <summary>config.json <c>head_dim</c>: per-head width Dh (default C / H; Qwen3 sets it explicitly).</summary>
    [JsonPropertyName("head_dim")] public int? HeadDim { get; set; }
    /// <summary>config.json <c>max_position_embeddings</c>: the longest sequence the model accepts.</summary>
    [JsonPropertyName("max_position_embeddings")] public int? MaxPositionEmbeddings { get; set; }
    /// <summary>config.json <c>rms_norm_eps</c>: RMSNorm ε.</summary>
    [JsonPropertyName("rms_norm_eps")] public double? RmsNormEps { get; set; }
    /// <summary>config.json <c>rope_theta</c>: RoPE base θ.</summary>
    [JsonPropertyName("rope_theta")] public double? RopeTheta { get; set; }
    /// <summary>config.json <c>rope_scaling</c>: RoPE scaling (linear or llama3), null for none.</summary>
    [JsonPropertyName("rope_scaling")] public RopeScalingJson? RopeScaling { get; set; }
    /// <summary>config.json <c>hidden_act</c>: MLP activation (silu for the Llama family).</summary>
    [JsonPropertyName("hidden_act")] public string? HiddenAct { get; set; }
    /// <summary>config.json <c>tie_word_embeddings</c>: true when the LM head reuses the embedding matrix.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool? TieWordEmbeddings { get; set; }
    /// <summary>config.json <c>attention_bias</c>: q/k/v/o projections carry a bias.</summary>
    [JsonPropertyName("attention_bias")] public bool? AttentionBias { get; set; }
    /// <summary>config.json <c>mlp_bias</c>: gate/up/down projections carry a bias.</summary>
    [JsonPropertyName("mlp_bias")] public bool? MlpBias { get; set; }
    /// <summary>config.json <c>sliding_window</c>: sliding-window width (not implemented: a warning, and longer sequences are refused).</summary>
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; set; }
    /// <summary>config.json <c>use_sliding_window</c>: Qwen2's switch for <c>sliding_window</c>.</summary>
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; set; }
    /// <summary>config.json <c>torch_dtype</c>: the checkpoint's dtype as torch names it (informational; tensors carry their own dtype).</summary>
    [JsonPropertyName("torch_dtype")] public string? TorchDType { get; set; }
    /// <summary>config.json <c>bos_token_id</c>: BOS id: an int, a list of ints or null.</summary>
    [JsonPropertyName("bos_token_id")] public JsonElement? BosTokenId { get; set; }
    /// <summary>config.json <c>eos_token_id</c>: EOS id(s): an int, a list of ints or null.</summary>
    [JsonPropertyName("eos_token_id")] public JsonElement? EosTokenId { get; set; }

    // GPT-2 keys.
    /// <summary>config.json <c>n_embd</c>: GPT-2 model width C.</summary>
    [JsonPropertyName("n_embd")] public int? NEmbd { get; set; }
    /// <summary>config.json <c>n_layer</c>: GPT-2 number of blocks.</summary>
    [JsonPropertyName("n_layer")] public int? NLayer { get; set; }
    /// <summary>config.json <c>n_head</c>: GPT-2 attention heads H.</summary>
    [JsonPropertyName("n_head")] public int? NHead { get; set; }
    /// <summary>config.json <c>n_inner</c>: GPT-2 MLP width (null = 4·C).</summary>
    [JsonPropertyName("n_inner")] public int? NInner { get; set; }
    /// <summary>config.json <c>n_positions</c>: GPT-2 learned positions.</summary>
    [JsonPropertyName("n_positions")] public int? NPositions { get; set; }
    /// <summary>config.json <c>n_ctx</c>: GPT-2 context length (older configs; used when n_positions is absent).</summary>
    [JsonPropertyName("n_ctx")] public int? NCtx { get; set; }
    /// <summary>config.json <c>layer_norm_epsilon</c>: GPT-2 LayerNorm ε.</summary>
    [JsonPropertyName("layer_norm_epsilon")] public double? LayerNormEpsilon { get; set; }
    /// <summary>config.json <c>activation_function</c>: GPT-2 MLP activation (gelu_new).</summary>
    [JsonPropertyName("activation_function")] public string? ActivationFunction { get; set; }
    /// <summary>config.json <c>scale_attn_by_inverse_layer_idx</c>: GPT-2 option dividing attention scores by (layer index + 1); true is refused.</summary>
    [JsonPropertyName("scale_attn_by_inverse_layer_idx")] public bool? ScaleAttnByInverseLayerIdx { get; set; }

    /// <summary>The file this was read from (for error messages).</summary>
    [JsonIgnore] public string Path { get; set; } = "config.json";

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON of the expected types (names the file).</exception>
    public static HfConfigJson Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config.json not found", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config JSON text; <paramref name="path"/> names the source in errors.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON or a key of the wrong type.</exception>
    public static HfConfigJson Parse(string json, string path)
    {
        try
        {
            var c = JsonSerializer.Deserialize(json, HfConfigJsonContext.Default.HfConfigJson) ?? throw new InvalidDataException($"{path}: config is null");
            c.Path = path;
            return c;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid config.json: {e.Message}", e);
        }
    }

    /// <summary>Serialises back to JSON (presets, tests).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, HfConfigJsonContext.Default.HfConfigJson);

    /// <summary>The value of a required key, or an error naming the file, the key and the architecture.</summary>
    /// <exception cref="InvalidDataException">The key is absent.</exception>
    public T Require<T>(T? value, string key, string architecture) where T : struct =>
        value ?? throw new InvalidDataException($"{Path}: missing required key '{key}' (needed by {architecture})");

    /// <summary>A token id key (an int, a list of ints, or null) as a list.</summary>
    public static int[] TokenIds(JsonElement? e)
    {
        if (e is not { } v) return [];
        return v.ValueKind switch
        {
            JsonValueKind.Number => [v.GetInt32()],
            JsonValueKind.Array => v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).Select(x => x.GetInt32()).ToArray(),
            _ => [],
        };
    }

}

/// <summary>
/// Source-generated (de)serializer of <see cref="HfConfigJson"/>: numbers may be strings or NaN/Infinity literals, nulls
/// are not written. Generated code keeps config loading working in the NativeAOT build, where reflection-based
/// serialization cannot create generic metadata for value types such as <c>int?</c>.
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(HfConfigJson))]
[JsonSerializable(typeof(int))]
internal sealed partial class HfConfigJsonContext : JsonSerializerContext;

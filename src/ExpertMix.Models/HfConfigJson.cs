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
    [JsonPropertyName("architectures")] public string[]? Architectures { get; set; }
    [JsonPropertyName("model_type")] public string? ModelType { get; set; }
    [JsonPropertyName("vocab_size")] public int? VocabSize { get; set; }
    [JsonPropertyName("hidden_size")] public int? HiddenSize { get; set; }
    [JsonPropertyName("intermediate_size")] public int? IntermediateSize { get; set; }
    [JsonPropertyName("num_hidden_layers")] public int? NumHiddenLayers { get; set; }
    [JsonPropertyName("num_attention_heads")] public int? NumAttentionHeads { get; set; }
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; set; }
    [JsonPropertyName("head_dim")] public int? HeadDim { get; set; }
    [JsonPropertyName("max_position_embeddings")] public int? MaxPositionEmbeddings { get; set; }
    [JsonPropertyName("rms_norm_eps")] public double? RmsNormEps { get; set; }
    [JsonPropertyName("rope_theta")] public double? RopeTheta { get; set; }
    [JsonPropertyName("rope_scaling")] public RopeScalingJson? RopeScaling { get; set; }
    [JsonPropertyName("hidden_act")] public string? HiddenAct { get; set; }
    [JsonPropertyName("tie_word_embeddings")] public bool? TieWordEmbeddings { get; set; }
    [JsonPropertyName("attention_bias")] public bool? AttentionBias { get; set; }
    [JsonPropertyName("mlp_bias")] public bool? MlpBias { get; set; }
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; set; }
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; set; }
    [JsonPropertyName("torch_dtype")] public string? TorchDType { get; set; }
    [JsonPropertyName("bos_token_id")] public JsonElement? BosTokenId { get; set; }
    [JsonPropertyName("eos_token_id")] public JsonElement? EosTokenId { get; set; }

    // GPT-2 keys.
    [JsonPropertyName("n_embd")] public int? NEmbd { get; set; }
    [JsonPropertyName("n_layer")] public int? NLayer { get; set; }
    [JsonPropertyName("n_head")] public int? NHead { get; set; }
    [JsonPropertyName("n_inner")] public int? NInner { get; set; }
    [JsonPropertyName("n_positions")] public int? NPositions { get; set; }
    [JsonPropertyName("n_ctx")] public int? NCtx { get; set; }
    [JsonPropertyName("layer_norm_epsilon")] public double? LayerNormEpsilon { get; set; }
    [JsonPropertyName("activation_function")] public string? ActivationFunction { get; set; }
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

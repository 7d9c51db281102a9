// Reads and writes X-LoRA's two config files: the original xlora_config.json and PEFT's adapter_config.json (peft_type XLORA).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExpertMix.Adapters.XLora;

/// <summary>A parsed X-LoRA config file: the knobs, which layout it came from and how its adapters were listed.</summary>
/// <param name="Config">The knobs; <see cref="XLoraConfig.Adapters"/> holds the paths as written (a name for a list entry).</param>
/// <param name="Layout">Original (<c>xlora_config.json</c>) or PEFT (<c>adapter_config.json</c>).</param>
/// <param name="Listing">Whether <c>adapters</c> was a list of names or a name → path object.</param>
/// <param name="Path">The file it was read from (for messages).</param>
internal sealed record XLoraConfigDocument(XLoraConfig Config, XLoraLayout Layout, XLoraAdapterListing Listing, string Path);

/// <summary>
/// The JSON of X-LoRA configs (spec §2, §7.2, §7.3). The original package's <c>xlora_config.json</c> carries every
/// knob (<c>hidden_size</c>, <c>base_model_id</c>, <c>adapters</c> as a list of names or a name → path object,
/// <c>enable_softmax</c>, <c>enable_softmax_topk</c>, <c>layerwise_scalings</c>, <c>xlora_depth</c>,
/// <c>xlora_size</c>, <c>enable_relu_and_dropout</c>, <c>use_bias</c>, <c>xlora_dropout_p</c>,
/// <c>use_trainable_adapters</c>, <c>softmax_temperature</c>, <c>top_k_lora</c>, <c>scaling_pass_value</c> (null →
/// 1/n), <c>global_scaling_weight</c>; the legacy <c>stop_token_id</c> and any unknown field are ignored). PEFT's
/// <c>XLoraConfig</c> has no <c>enable_relu_and_dropout</c> / <c>use_bias</c>: its classifier always has a bias and
/// a ReLU after each hidden Linear, plus a Dropout iff p &gt; 0, which is ExpertMix's relu+dropout variant.
/// <c>hidden_size</c> is required in both (no silent 4096).
/// </summary>
internal static class XLoraConfigJson
{
    /// <summary>The original layout's config file name.</summary>
    public const string OriginalFileName = "xlora_config.json";

    /// <summary>PEFT's config file name.</summary>
    public const string PeftFileName = "adapter_config.json";

    /// <summary>PEFT's <c>peft_type</c> of X-LoRA.</summary>
    public const string PeftType = "XLORA";

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>Parses an original-layout <c>xlora_config.json</c> (text <paramref name="json"/> of file <paramref name="path"/>).</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, a missing <c>hidden_size</c> / <c>adapters</c>, a field of the wrong type or out of range (named with the file).</exception>
    public static XLoraConfigDocument ParseOriginal(string json, string path)
    {
        var root = Root(json, path);
        var (adapters, listing) = Adapters(root, path);
        var config = new XLoraConfig
        {
            HiddenSize = Int(root, "hidden_size", path) ?? throw Missing(path, "hidden_size", "the base model's hidden size; there is no default"),
            BaseModelId = Str(root, "base_model_id", path),
            Adapters = adapters,
            EnableSoftmax = Bool(root, "enable_softmax", path) ?? true,
            EnableSoftmaxTopK = Bool(root, "enable_softmax_topk", path) ?? false,
            LayerwiseScalings = Bool(root, "layerwise_scalings", path) ?? false,
            XLoraDepth = Int(root, "xlora_depth", path) ?? 1,
            XLoraSize = Int(root, "xlora_size", path) ?? 2048,
            EnableReluAndDropout = Bool(root, "enable_relu_and_dropout", path) ?? true,
            UseBias = Bool(root, "use_bias", path) ?? true,
            XLoraDropoutP = Num(root, "xlora_dropout_p", path) ?? 0.2f,
            UseTrainableAdapters = Bool(root, "use_trainable_adapters", path) ?? false,
            SoftmaxTemperature = Num(root, "softmax_temperature", path) ?? 1f,
            TopKLora = Int(root, "top_k_lora", path),
            ScalingPassValue = root.ContainsKey("scaling_pass_value") ? Num(root, "scaling_pass_value", path) : 0f,
            GlobalScalingWeight = Num(root, "global_scaling_weight", path) ?? 1f,
        };
        return new XLoraConfigDocument(Validated(config, path), XLoraLayout.Original, listing, path);
    }

    /// <summary>Parses a PEFT-layout <c>adapter_config.json</c> whose <c>peft_type</c> is "XLORA"; PEFT's base fields are kept in <see cref="XLoraConfig.PeftFields"/>.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, another <c>peft_type</c>, a missing <c>hidden_size</c> / <c>adapters</c>, a field of the wrong type or out of range.</exception>
    public static XLoraConfigDocument ParsePeft(string json, string path)
    {
        var root = Root(json, path);
        string peftType = Str(root, "peft_type", path) ?? throw Missing(path, "peft_type", $"\"{PeftType}\"");
        if (peftType != PeftType) throw new InvalidDataException($"{path}: peft_type \"{peftType}\" is not an X-LoRA checkpoint (expected \"{PeftType}\"; a \"LORA\" directory is a single LoRA adapter)");
        var (adapters, listing) = Adapters(root, path);
        var fields = new XLoraPeftFields
        {
            TaskType = Str(root, "task_type", path),
            BaseModelNameOrPath = Str(root, "base_model_name_or_path", path),
            Revision = Str(root, "revision", path),
            InferenceMode = Bool(root, "inference_mode", path) ?? true,
            PeftVersion = Str(root, "peft_version", path),
        };
        var config = new XLoraConfig
        {
            HiddenSize = Int(root, "hidden_size", path) ?? throw Missing(path, "hidden_size", "the base model's hidden size; ExpertMix has no 4096 default"),
            BaseModelId = fields.BaseModelNameOrPath,
            Adapters = adapters,
            EnableSoftmax = Bool(root, "enable_softmax", path) ?? true,
            EnableSoftmaxTopK = Bool(root, "enable_softmax_topk", path) ?? false,
            LayerwiseScalings = Bool(root, "layerwise_scalings", path) ?? false,
            XLoraDepth = Int(root, "xlora_depth", path) ?? 1,
            XLoraSize = Int(root, "xlora_size", path) ?? 2048,
            EnableReluAndDropout = true,    // PEFT: ReLU always, Dropout iff p > 0 (identity at p = 0)
            UseBias = true,                 // PEFT: every Linear has a bias
            XLoraDropoutP = Num(root, "xlora_dropout_p", path) ?? 0.2f,
            UseTrainableAdapters = Bool(root, "use_trainable_adapters", path) ?? false,
            SoftmaxTemperature = Num(root, "softmax_temperature", path) ?? 1f,
            TopKLora = Int(root, "top_k_lora", path),
            ScalingPassValue = root.ContainsKey("scaling_pass_value") ? Num(root, "scaling_pass_value", path) : 0f,
            GlobalScalingWeight = Num(root, "global_scaling_weight", path) ?? 1f,
            PeftFields = fields,
        };
        return new XLoraConfigDocument(Validated(config, path), XLoraLayout.Peft, listing, path);
    }

    /// <summary>
    /// The original layout's <c>xlora_config.json</c> for <paramref name="config"/>: every knob the original package
    /// writes, <c>adapters</c> as an object name → <see cref="XLoraConfig.Adapters"/> path (in column order) and
    /// <c>stop_token_id</c> null.
    /// </summary>
    public static string WriteOriginal(XLoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var root = new JsonObject
        {
            ["hidden_size"] = config.HiddenSize,
            ["base_model_id"] = config.BaseModelId,
            ["adapters"] = AdapterObject(config),
            ["enable_softmax"] = config.EnableSoftmax,
            ["enable_softmax_topk"] = config.EnableSoftmaxTopK,
            ["layerwise_scalings"] = config.LayerwiseScalings,
            ["xlora_depth"] = config.XLoraDepth,
            ["xlora_size"] = config.XLoraSize,
            ["enable_relu_and_dropout"] = config.EnableReluAndDropout,
            ["use_bias"] = config.UseBias,
            ["xlora_dropout_p"] = config.XLoraDropoutP,
            ["stop_token_id"] = null,
            ["use_trainable_adapters"] = config.UseTrainableAdapters,
            ["softmax_temperature"] = config.SoftmaxTemperature,
            ["top_k_lora"] = config.TopKLora,
            ["scaling_pass_value"] = config.ScalingPassValue,
            ["global_scaling_weight"] = config.GlobalScalingWeight,
        };
        return root.ToJsonString(s_indented);
    }

    /// <summary>
    /// PEFT's <c>adapter_config.json</c> for <paramref name="config"/>: <c>peft_type</c> "XLORA", PEFT's base fields
    /// (from <see cref="XLoraConfig.PeftFields"/> when present, else defaults with <c>base_model_name_or_path</c> =
    /// <see cref="XLoraConfig.BaseModelId"/>), and PEFT's <c>XLoraConfig</c> fields with <c>adapters</c> as an object.
    /// PEFT's <c>scaling_pass_value</c> is a number, so a null c is written resolved (1/n).
    /// </summary>
    /// <exception cref="ArgumentException">A gate PEFT cannot express: no bias, or a purely linear stack of depth ≥ 2.</exception>
    public static string WritePeft(XLoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        EnsurePeftExpressible(config, "X-LoRA config");
        var f = config.PeftFields ?? new XLoraPeftFields { BaseModelNameOrPath = config.BaseModelId };
        var root = new JsonObject
        {
            ["peft_type"] = PeftType,
            ["task_type"] = f.TaskType,
            ["base_model_name_or_path"] = f.BaseModelNameOrPath ?? config.BaseModelId,
            ["revision"] = f.Revision,
            ["inference_mode"] = f.InferenceMode,
            ["auto_mapping"] = null,
            ["hidden_size"] = config.HiddenSize,
            ["adapters"] = AdapterObject(config),
            ["enable_softmax"] = config.EnableSoftmax,
            ["enable_softmax_topk"] = config.EnableSoftmaxTopK,
            ["layerwise_scalings"] = config.LayerwiseScalings,
            ["xlora_depth"] = config.XLoraDepth,
            ["xlora_size"] = config.XLoraSize,
            ["xlora_dropout_p"] = config.XLoraDropoutP,
            ["use_trainable_adapters"] = config.UseTrainableAdapters,
            ["softmax_temperature"] = config.SoftmaxTemperature,
            ["top_k_lora"] = config.TopKLora,
            ["scaling_pass_value"] = config.ResolvedScalingPassValue,
            ["global_scaling_weight"] = config.GlobalScalingWeight,
        };
        if (f.PeftVersion is not null) root["peft_version"] = f.PeftVersion;
        return root.ToJsonString(s_indented);
    }

    /// <summary>
    /// Throws when PEFT's classifier (bias always, ReLU after every hidden Linear) would compute another function
    /// than <paramref name="config"/>'s gate: <c>use_bias</c> false, or <c>enable_relu_and_dropout</c> false with depth ≥ 2 (spec §7.3).
    /// </summary>
    /// <exception cref="ArgumentException">The gate cannot be written in PEFT's layout (<paramref name="source"/> names it).</exception>
    public static void EnsurePeftExpressible(XLoraConfig config, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!config.EnableReluAndDropout && config.XLoraDepth >= 2)
        {
            throw new ArgumentException($"{source}: enable_relu_and_dropout is false with xlora_depth {config.XLoraDepth} (a purely linear stack); PEFT's classifier always "
                + "puts a ReLU after each hidden Linear, so the PEFT layout would change the gate's function. Keep the original layout.");
        }
        if (!config.UseBias) throw new ArgumentException($"{source}: use_bias is false; PEFT's classifier always has biases. Keep the original layout.");
    }

    private static JsonObject AdapterObject(XLoraConfig config) =>
        new(config.Adapters.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value))));

    private static XLoraConfig Validated(XLoraConfig config, string path)
    {
        try
        {
            config.Validate(path);
            return config;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    private static JsonObject Root(string json, string path) => JsonText.ParseObject(json, path);

    private static (IReadOnlyList<KeyValuePair<string, string>> Adapters, XLoraAdapterListing Listing) Adapters(JsonObject root, string path)
    {
        switch (root["adapters"])
        {
            case JsonArray list:
                var names = new List<KeyValuePair<string, string>>();
                foreach (var n in list)
                {
                    if (n is not JsonValue v || v.GetValueKind() != JsonValueKind.String) throw new InvalidDataException($"{path}: \"adapters\" must list adapter names (strings); got {n?.ToJsonString() ?? "null"}");
                    string name = v.GetValue<string>();
                    names.Add(KeyValuePair.Create(name, name));
                }
                return (names, XLoraAdapterListing.Names);
            case JsonObject map:
                var paths = new List<KeyValuePair<string, string>>();
                foreach (var (name, n) in map)
                {
                    if (n is not JsonValue v || v.GetValueKind() != JsonValueKind.String) throw new InvalidDataException($"{path}: \"adapters\".\"{name}\" must be a path (string); got {n?.ToJsonString() ?? "null"}");
                    paths.Add(KeyValuePair.Create(name, v.GetValue<string>()));
                }
                return (paths, XLoraAdapterListing.Paths);
            case null:
                throw Missing(path, "adapters", "a list of adapter names or an object name → path");
            case var other:
                throw new InvalidDataException($"{path}: \"adapters\" must be a list of names or an object name → path (got {other.GetValueKind()})");
        }
    }

    private static InvalidDataException Missing(string path, string field, string expected) => new($"{path}: missing \"{field}\" ({expected})");

    private static string? Str(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var n => throw new InvalidDataException($"{path}: \"{key}\" must be a string (got {n.GetValueKind()})"),
    };

    private static bool? Bool(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var n => throw new InvalidDataException($"{path}: \"{key}\" must be true or false (got {n.GetValueKind()})"),
    };

    private static float? Num(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => (float)v.GetValue<double>(),
        var n => throw new InvalidDataException($"{path}: \"{key}\" must be a number (got {n.GetValueKind()})"),
    };

    private static int? Int(JsonObject o, string key, string path)
    {
        if (o[key] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return o[key] is null ? null : throw new InvalidDataException($"{path}: \"{key}\" must be an integer (got {o[key]!.GetValueKind()})");
        }
        double d = v.GetValue<double>();
        if (d != Math.Round(d) || d > int.MaxValue || d < int.MinValue) throw new InvalidDataException($"{path}: \"{key}\" must be an integer (got {d.ToString(CultureInfo.InvariantCulture)})");
        return (int)d;
    }
}

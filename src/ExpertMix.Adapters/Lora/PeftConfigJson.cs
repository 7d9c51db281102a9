// Reads and writes PEFT's adapter_config.json for LoRA, refusing the features ExpertMix does not implement.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExpertMix.Adapters.Lora;

/// <summary>adapter_config.json ⇄ <see cref="LoraConfig"/> (field table: docs/lora.md, spec §2.2).</summary>
internal static class PeftConfigJson
{
    /// <summary>The config file name inside an adapter directory.</summary>
    public const string FileName = "adapter_config.json";

    /// <summary>Parses the JSON text of <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, a missing/ill-typed field, not a LoRA adapter, or an unsupported feature.</exception>
    public static LoraConfig Parse(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = JsonText.ParseObject(json, path);
        string peftType = Str(root, "peft_type", path) ?? throw new InvalidDataException($"{path}: missing \"peft_type\" (expected \"LORA\")");
        if (peftType != "LORA") throw new InvalidDataException($"{path}: peft_type \"{peftType}\" is not a LoRA adapter (expected \"LORA\")");
        Reject(root, path, "use_dora", "DoRA (use_dora) is not supported");
        Reject(root, path, "lora_bias", "lora_bias is not supported");
        if (Str(root, "bias", path) is { } bias && bias != "none") throw new InvalidDataException($"{path}: bias \"{bias}\" is not supported (only \"none\")");
        if (root["modules_to_save"] is JsonArray { Count: > 0 }) throw new InvalidDataException($"{path}: modules_to_save (full copies of modules) is not supported");
        if (root["trainable_token_indices"] is { } tti && tti.GetValueKind() != JsonValueKind.Null) throw new InvalidDataException($"{path}: trainable_token_indices is not supported");

        var targets = root["target_modules"] switch
        {
            JsonArray a => TargetModules.List(a.Select(n => n?.GetValue<string>() ?? throw new InvalidDataException($"{path}: target_modules holds a null"))),
            JsonValue v when v.GetValue<string>() == "all-linear" => TargetModules.AllLinear,
            JsonValue v => TargetModules.FullMatch(v.GetValue<string>()),
            _ => throw new InvalidDataException($"{path}: missing \"target_modules\" (a list of module names, a regex, or \"all-linear\")"),
        };
        var exclude = root["exclude_modules"] switch
        {
            JsonArray { Count: > 0 } a => TargetModules.List(a.Select(n => n!.GetValue<string>())),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => TargetModules.FullMatch(v.GetValue<string>()),
            _ => null,
        };
        var init = root["init_lora_weights"] switch
        {
            null => LoraInit.Default,
            JsonValue v when v.GetValueKind() == JsonValueKind.True => LoraInit.Default,
            JsonValue v when v.GetValueKind() == JsonValueKind.False => LoraInit.Random,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "gaussian" => LoraInit.Gaussian,
            var other => LoraInit.Default, // other PEFT inits (pissa, olora, loftq…) only matter for training a new adapter
        };
        try
        {
            return new LoraConfig
            {
                Rank = Int(root, "r", path) ?? throw new InvalidDataException($"{path}: missing \"r\""),
                Alpha = Num(root, "lora_alpha", path) ?? throw new InvalidDataException($"{path}: missing \"lora_alpha\""),
                UseRsLora = Bool(root, "use_rslora", path) ?? false,
                Dropout = Num(root, "lora_dropout", path) ?? 0,
                TargetModules = targets,
                ExcludeModules = exclude,
                LayersToTransform = root["layers_to_transform"] switch
                {
                    JsonArray a => a.Select(n => n!.GetValue<int>()).ToArray(),
                    JsonValue v when v.GetValueKind() == JsonValueKind.Number => [v.GetValue<int>()],
                    _ => null,
                },
                LayersPattern = root["layers_pattern"] switch
                {
                    JsonArray a => a.Select(n => n!.GetValue<string>()).ToArray(),
                    JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
                    _ => null,
                },
                RankPattern = Pattern(root, "rank_pattern", path, n => n.GetValue<int>()),
                AlphaPattern = Pattern(root, "alpha_pattern", path, n => (float)n.GetValue<double>()),
                FanInFanOut = Bool(root, "fan_in_fan_out", path) ?? false,
                Init = init,
                BaseModelNameOrPath = Str(root, "base_model_name_or_path", path),
                Revision = Str(root, "revision", path),
                TaskType = Str(root, "task_type", path),
            }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong type: {e.Message}", e);
        }
    }

    /// <summary>The JSON PEFT writes for <paramref name="config"/> (fields of spec §2.3, sorted target list).</summary>
    public static string Write(LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var t = config.TargetModules;
        var root = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(config.AlphaPattern.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
            ["base_model_name_or_path"] = config.BaseModelNameOrPath,
            ["bias"] = "none",
            ["exclude_modules"] = config.ExcludeModules is { } ex ? ex.IsAllLinear ? "all-linear" : ex.Regex is { } er ? er : new JsonArray(ex.Names!.Select(n => (JsonNode?)n).ToArray()) : null,
            ["fan_in_fan_out"] = config.FanInFanOut,
            ["inference_mode"] = true,
            ["init_lora_weights"] = config.Init switch { LoraInit.Gaussian => JsonValue.Create("gaussian"), LoraInit.Random => JsonValue.Create(false), _ => JsonValue.Create(true) },
            ["layers_pattern"] = config.LayersPattern is { } lp ? new JsonArray(lp.Select(n => (JsonNode?)n).ToArray()) : null,
            ["layers_to_transform"] = config.LayersToTransform is { } lt ? new JsonArray(lt.Select(n => (JsonNode?)n).ToArray()) : null,
            ["lora_alpha"] = config.Alpha,
            ["lora_bias"] = false,
            ["lora_dropout"] = config.Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = config.Rank,
            ["rank_pattern"] = new JsonObject(config.RankPattern.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
            ["revision"] = config.Revision,
            ["target_modules"] = t.IsAllLinear ? "all-linear" : t.Regex is { } re ? re : new JsonArray(t.Names!.Select(n => (JsonNode?)n).ToArray()),
            ["task_type"] = config.TaskType ?? "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = config.UseRsLora,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static void Reject(JsonObject root, string path, string field, string message)
    {
        if (root[field] is JsonValue v && v.GetValueKind() == JsonValueKind.True) throw new InvalidDataException($"{path}: {message}");
    }

    private static string? Str(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        _ => throw new InvalidDataException($"{path}: \"{key}\" must be a string"),
    };

    private static bool? Bool(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        _ => throw new InvalidDataException($"{path}: \"{key}\" must be true or false"),
    };

    private static float? Num(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => (float)v.GetValue<double>(),
        _ => throw new InvalidDataException($"{path}: \"{key}\" must be a number"),
    };

    private static int? Int(JsonObject o, string key, string path)
    {
        float? n = Num(o, key, path);
        if (n is null) return null;
        if (n != MathF.Round(n.Value)) throw new InvalidDataException($"{path}: \"{key}\" must be an integer (got {n.Value.ToString(CultureInfo.InvariantCulture)})");
        return (int)n.Value;
    }

    private static KeyValuePair<string, T>[] Pattern<T>(JsonObject o, string key, string path, Func<JsonNode, T> read) => o[key] switch
    {
        null => [],
        JsonObject p => p.Select(kv => KeyValuePair.Create(kv.Key, read(kv.Value ?? throw new InvalidDataException($"{path}: {key}.{kv.Key} is null")))).ToArray(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => [],
        _ => throw new InvalidDataException($"{path}: \"{key}\" must be an object"),
    };
}

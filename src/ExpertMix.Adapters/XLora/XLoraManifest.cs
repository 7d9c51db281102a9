// ExpertMix's xlora_manifest.json (spec §7.5) and the check of a mistral.rs ordering file (§7.4).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExpertMix.Adapters.XLora;

/// <summary>The classifier block of <see cref="XLoraManifest"/>.</summary>
/// <param name="Depth">d: the number of Linears.</param>
/// <param name="Size">S: the hidden width (depth ≥ 2).</param>
/// <param name="ReluDropout">Whether ReLU and Dropout follow each hidden Linear.</param>
/// <param name="DropoutP">p: the classifier's dropout.</param>
/// <param name="Layerwise">One output per module (true) or per expert only.</param>
internal sealed record XLoraManifestClassifier(int Depth, int Size, bool ReluDropout, float DropoutP, bool Layerwise);

/// <summary>
/// <c>xlora_manifest.json</c>: what a saved gate is bound to. <c>{format_version, base_model_id, adapters: [names in
/// column order], layers: [module paths in gate index order], classifier: {depth, size, relu_dropout, dropout_p,
/// layerwise}}</c>. A load verifies every field against what it derived and fails at the first difference.
/// </summary>
/// <param name="FormatVersion">The manifest's version (<see cref="CurrentVersion"/>).</param>
/// <param name="BaseModelId">The base model id (informational).</param>
/// <param name="Adapters">Expert names in classifier column order.</param>
/// <param name="Layers">Adapted module paths in gate index order ℓ = 0..L−1.</param>
/// <param name="Classifier">The gate's shape.</param>
internal sealed record XLoraManifest(int FormatVersion, string? BaseModelId, IReadOnlyList<string> Adapters, IReadOnlyList<string> Layers, XLoraManifestClassifier Classifier)
{
    /// <summary>The manifest file name.</summary>
    public const string FileName = "xlora_manifest.json";

    /// <summary>The version ExpertMix writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The manifest of <paramref name="config"/>'s gate bound to <paramref name="layers"/>.</summary>
    public static XLoraManifest Of(XLoraConfig config, IReadOnlyList<string> layers)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layers);
        return new XLoraManifest(CurrentVersion, config.BaseModelId, config.AdapterNames, layers,
            new XLoraManifestClassifier(config.XLoraDepth, config.XLoraSize, config.EnableReluAndDropout, config.XLoraDropoutP, config.LayerwiseScalings));
    }

    /// <summary>The manifest's JSON text.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["base_model_id"] = BaseModelId,
            ["adapters"] = new JsonArray([.. Adapters.Select(a => (JsonNode?)a)]),
            ["layers"] = new JsonArray([.. Layers.Select(l => (JsonNode?)l)]),
            ["classifier"] = new JsonObject
            {
                ["depth"] = Classifier.Depth,
                ["size"] = Classifier.Size,
                ["relu_dropout"] = Classifier.ReluDropout,
                ["dropout_p"] = Classifier.DropoutP,
                ["layerwise"] = Classifier.Layerwise,
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parses the manifest text <paramref name="json"/> of file <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, a missing or ill-typed field, or a newer format version.</exception>
    public static XLoraManifest Parse(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = JsonText.ParseObject(json, path);
        try
        {
            int version = root["format_version"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: missing \"format_version\"");
            if (version > CurrentVersion) throw new InvalidDataException($"{path}: format_version {version} is newer than this ExpertMix reads ({CurrentVersion})");
            var c = root["classifier"] as JsonObject ?? throw new InvalidDataException($"{path}: missing \"classifier\" object");
            return new XLoraManifest(version, root["base_model_id"]?.GetValue<string>(), Strings(root, "adapters", path), Strings(root, "layers", path),
                new XLoraManifestClassifier(
                    c["depth"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: missing \"classifier\".\"depth\""),
                    c["size"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: missing \"classifier\".\"size\""),
                    c["relu_dropout"]?.GetValue<bool>() ?? throw new InvalidDataException($"{path}: missing \"classifier\".\"relu_dropout\""),
                    (float)(c["dropout_p"]?.GetValue<double>() ?? throw new InvalidDataException($"{path}: missing \"classifier\".\"dropout_p\"")),
                    c["layerwise"]?.GetValue<bool>() ?? throw new InvalidDataException($"{path}: missing \"classifier\".\"layerwise\"")));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong type: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks this manifest (read from <paramref name="path"/>) against the loaded <paramref name="config"/> and the
    /// derived module numbering <paramref name="layers"/>: adapters, then layers, then the classifier block.
    /// </summary>
    /// <exception cref="InvalidDataException">The first difference, named with the file, field and index.</exception>
    public void Verify(XLoraConfig config, IReadOnlyList<string> layers, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layers);
        if (FirstDifference(Adapters, config.AdapterNames, "adapters", "the config's expert order") is { } a)
        {
            throw new InvalidDataException($"{path}: {a}; the gate's columns are bound to the experts in the manifest's order");
        }
        if (FirstDifference(Layers, layers, "layers", "the modules the experts wrap on this model (gate index order)") is { } l)
        {
            throw new InvalidDataException($"{path}: {l}; the gate was trained on another module numbering");
        }
        var mine = Of(config, layers).Classifier;
        (string Field, object Saved, object Now)[] fields =
        [
            ("depth", Classifier.Depth, mine.Depth),
            ("size", Classifier.Size, mine.Size),
            ("relu_dropout", Classifier.ReluDropout, mine.ReluDropout),
            ("dropout_p", Classifier.DropoutP, mine.DropoutP),
            ("layerwise", Classifier.Layerwise, mine.Layerwise),
        ];
        foreach (var (field, saved, now) in fields)
        {
            if (!saved.Equals(now)) throw new InvalidDataException($"{path}: classifier.{field} is {Show(saved)} but the config says {Show(now)}");
        }
    }

    /// <summary>
    /// Checks a mistral.rs ordering file (<c>{"base_model_id", "order": [names], "layers": {module path: index}, …}</c>)
    /// against the expert order <paramref name="adapters"/> and the derived numbering <paramref name="layers"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">Malformed file or the first difference, named with the file.</exception>
    public static void VerifyOrderingFile(string path, IReadOnlyList<string> adapters, IReadOnlyList<string> layers)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(layers);
        var root = JsonText.ParseObject(File.ReadAllText(path), path);
        if (root["order"] is not null && FirstDifference(Strings(root, "order", path), adapters, "order", "the X-LoRA expert order") is { } o)
        {
            throw new InvalidDataException($"{path}: {o}");
        }
        if (root["layers"] is null) return;
        if (root["layers"] is not JsonObject map) throw new InvalidDataException($"{path}: \"layers\" must be an object module path → index");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int l = 0; l < layers.Count; l++) index[layers[l]] = l;
        foreach (var (module, node) in map)
        {
            if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) throw new InvalidDataException($"{path}: layers.\"{module}\" must be an integer index");
            int theirs = (int)v.GetValue<double>();
            if (!index.TryGetValue(module, out int ours)) throw new InvalidDataException($"{path}: layers has module {module} (index {theirs}), which no expert wraps on this model");
            if (ours != theirs) throw new InvalidDataException($"{path}: layers.\"{module}\" is {theirs} but ExpertMix numbers it {ours} (HF registration order of the wrapped modules)");
        }
        if (map.Count != layers.Count)
        {
            string missing = layers.First(l => !map.ContainsKey(l));
            throw new InvalidDataException($"{path}: layers has {map.Count} modules but the experts wrap {layers.Count}; missing {missing} (index {index[missing]})");
        }
    }

    private static string? FirstDifference(IReadOnlyList<string> saved, IReadOnlyList<string> derived, string field, string what)
    {
        for (int i = 0; i < Math.Min(saved.Count, derived.Count); i++)
        {
            if (saved[i] != derived[i]) return $"{field}[{i}] is '{saved[i]}' but {what} has '{derived[i]}' there";
        }
        if (saved.Count == derived.Count) return null;
        return saved.Count > derived.Count
            ? $"{field} has {saved.Count} entries but {what} has {derived.Count}; first extra: '{saved[derived.Count]}' at {derived.Count}"
            : $"{field} has {saved.Count} entries but {what} has {derived.Count}; first missing: '{derived[saved.Count]}' at {saved.Count}";
    }

    private static string Show(object value) => value switch
    {
        bool b => b ? "true" : "false",
        float f => f.ToString(CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string[] Strings(JsonObject root, string field, string path)
    {
        if (root[field] is not JsonArray a) throw new InvalidDataException($"{path}: \"{field}\" must be a list of strings");
        return [.. a.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw new InvalidDataException($"{path}: \"{field}\" must be a list of strings"))];
    }
}

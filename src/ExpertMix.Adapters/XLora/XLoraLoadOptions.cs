// Options of XLoraFormat.Load and the two on-disk layouts.
namespace ExpertMix.Adapters.XLora;

/// <summary>The on-disk layout of an X-LoRA checkpoint (spec §7.2, §7.3).</summary>
public enum XLoraLayout
{
    /// <summary>
    /// The original xlora / lamm-mit layout: <c>xlora_config.json</c>, <c>xlora_classifier.safetensors</c> with keys
    /// <c>inner.{j}</c> / <c>last</c>, one PEFT LoRA sub-folder per expert. ExpertMix's bundle adds
    /// <c>xlora_manifest.json</c> (§7.5).
    /// </summary>
    Original,

    /// <summary>
    /// PEFT's layout: <c>adapter_config.json</c> with <c>peft_type</c> "XLORA" and <c>adapter_model.safetensors</c>
    /// holding only the classifier, keyed <c>base_model.internal_xlora_classifier.layers.{j}</c>.
    /// </summary>
    Peft,
}

/// <summary>How the <c>adapters</c> field of a config file was written.</summary>
internal enum XLoraAdapterListing
{
    /// <summary>A JSON list of names: each expert is the sub-folder of that exact name.</summary>
    Names,

    /// <summary>A JSON object name → path: relative to the checkpoint directory first, then as given.</summary>
    Paths,
}

/// <summary>Options of <see cref="XLoraFormat.Load"/>.</summary>
public sealed record XLoraLoadOptions
{
    /// <summary>
    /// When given, the expert paths (name → adapter directory) used instead of the config's; the names must be the
    /// configured ones (the classifier's column order stays the config's). Relative paths are tried against the
    /// checkpoint directory first, then as given. Null (default) keeps the configured map.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Adapters { get; init; }

    /// <summary>A mistral.rs ordering file (spec §7.4) to check the expert order and module numbering against; null skips the check.</summary>
    public string? OrderingFile { get; init; }

    /// <summary>Runtime options of the loaded model (cache mode, freezing, kernel); null takes the defaults.</summary>
    public XLoraRuntimeOptions? Runtime { get; init; }
}

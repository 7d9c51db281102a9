// The PeftConfig base fields of a PEFT-layout X-LoRA adapter_config.json, preserved from read to write (spec §2).
namespace ExpertMix.Adapters.XLora;

/// <summary>
/// The fields every PEFT config carries besides the method's own knobs. ExpertMix reads them from a PEFT-layout
/// X-LoRA checkpoint and writes them back unchanged (<c>peft_type</c> is always <c>"XLORA"</c>).
/// </summary>
internal sealed record XLoraPeftFields
{
    /// <summary>PEFT's <c>task_type</c> (default <c>"CAUSAL_LM"</c>).</summary>
    public string? TaskType { get; init; } = "CAUSAL_LM";

    /// <summary>PEFT's <c>base_model_name_or_path</c>.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>PEFT's <c>revision</c> of the base model.</summary>
    public string? Revision { get; init; }

    /// <summary>PEFT's <c>inference_mode</c>.</summary>
    public bool InferenceMode { get; init; } = true;

    /// <summary>PEFT's <c>peft_version</c>, the version of the library that wrote the file (null when absent).</summary>
    public string? PeftVersion { get; init; }
}

// The rope_scaling variants RotaryEmbedding implements.
namespace ExpertMix.Nn;

/// <summary>HF <c>rope_scaling.rope_type</c> values that are supported.</summary>
public enum RopeScalingKind
{
    /// <summary>No scaling (<c>rope_scaling: null</c> or <c>"default"</c>).</summary>
    None,

    /// <summary><c>"linear"</c>: every inverse frequency divided by the factor (positions / factor).</summary>
    Linear,

    /// <summary><c>"llama3"</c>: HF <c>_compute_llama3_parameters</c> (low/high frequency bands, smooth in between).</summary>
    Llama3,
}

// Parameters of rope_scaling (linear, llama3).
namespace ExpertMix.Nn;

/// <summary>
/// RoPE scaling: <see cref="Kind"/> and its parameters (HF keys <c>factor</c>, <c>low_freq_factor</c>,
/// <c>high_freq_factor</c>, <c>original_max_position_embeddings</c>).
/// </summary>
/// <param name="Kind">None, linear (positions divided by <paramref name="Factor"/>) or llama3 (per-frequency wavelength scaling).</param>
/// <param name="Factor">The scale factor (1 = none).</param>
/// <param name="LowFreqFactor">llama3: frequencies whose wavelength exceeds OriginalMaxPositions / LowFreqFactor are divided by Factor.</param>
/// <param name="HighFreqFactor">llama3: frequencies whose wavelength is below OriginalMaxPositions / HighFreqFactor are kept; between the two bounds they are interpolated.</param>
/// <param name="OriginalMaxPositions">llama3: the pre-training context length.</param>
public sealed record RopeScaling(RopeScalingKind Kind, double Factor = 1, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositions = 8192)
{
    /// <summary>No scaling.</summary>
    public static RopeScaling None { get; } = new(RopeScalingKind.None);
}

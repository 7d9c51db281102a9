// Parameters of rope_scaling (linear, llama3).
namespace ExpertMix.Nn;

/// <summary>
/// RoPE scaling: <see cref="Kind"/> and its parameters (HF keys <c>factor</c>, <c>low_freq_factor</c>,
/// <c>high_freq_factor</c>, <c>original_max_position_embeddings</c>).
/// </summary>
public sealed record RopeScaling(RopeScalingKind Kind, double Factor = 1, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositions = 8192)
{
    /// <summary>No scaling.</summary>
    public static RopeScaling None { get; } = new(RopeScalingKind.None);
}

// Typed options of CausalLm.Load.
namespace ExpertMix.Models;

/// <summary>Options for loading a checkpoint.</summary>
/// <param name="DType">Storage dtype policy (default: keep the checkpoint's).</param>
/// <param name="UnusedTensors">Unused checkpoint tensors: warn (default) or fail (strict).</param>
/// <param name="Packing">Pre-packed weight copies for prefill (default none).</param>
public sealed record LoadOptions(DTypePolicy DType = DTypePolicy.Keep, UnusedTensorPolicy UnusedTensors = UnusedTensorPolicy.Warn, WeightPacking Packing = WeightPacking.None)
{
    /// <summary>Keep dtypes, warn about unused tensors.</summary>
    public static LoadOptions Default { get; } = new();

    /// <summary>Keep dtypes, fail on unused tensors.</summary>
    public static LoadOptions Strict { get; } = new(UnusedTensors: UnusedTensorPolicy.Error);
}

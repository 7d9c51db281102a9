// What loading does with checkpoint tensors no module consumed.
namespace ExpertMix.Models;

/// <summary>Treatment of checkpoint tensors that the architecture did not consume.</summary>
public enum UnusedTensorPolicy
{
    /// <summary>List them in <see cref="ModelInfo.Warnings"/>.</summary>
    Warn,

    /// <summary>Fail the load with an error listing them (strict mode).</summary>
    Error,
}

// How a loss reduces its per-element values.
namespace ExpertMix.Tensors;

/// <summary>Reduction of a per-element loss (PyTorch's reduction=).</summary>
public enum LossReduction
{
    /// <summary>Mean over the non-ignored elements (NaN when every element is ignored, like torch).</summary>
    Mean,

    /// <summary>Sum over the non-ignored elements (0 when every element is ignored).</summary>
    Sum,

    /// <summary>No reduction: one value per element (0 for ignored elements).</summary>
    None,
}

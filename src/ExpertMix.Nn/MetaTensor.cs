// Shape-only tensors: one element broadcast to the full shape, so a 1B-parameter model can be built without its weights.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// A "meta" tensor has the shape and dtype of a parameter but a single stored element (every stride 0). Models built
/// from meta tensors can list their parameters (manifests) but must not run a forward.
/// </summary>
public static class MetaTensor
{
    /// <summary>A meta tensor of <paramref name="shape"/> and <paramref name="dtype"/> (caller owns it).</summary>
    public static Tensor Create(Shape shape, DType dtype)
    {
        var ones = new int[shape.Rank];
        Array.Fill(ones, 1);
        using var one = Tensor.Zeros(new Shape(ones), dtype);
        return one.Expand(shape);
    }

    /// <summary>True for a tensor made by <see cref="Create"/> (rank ≥ 1, more than one element, every stride 0).</summary>
    public static bool IsMeta(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Rank == 0 || t.Numel <= 1) return false;
        foreach (var s in t.Strides)
        {
            if (s != 0) return false;
        }
        return true;
    }
}

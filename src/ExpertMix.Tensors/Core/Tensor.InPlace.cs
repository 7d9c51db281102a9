// Vectorised in-place updates for optimisers and accumulation (no autograd): scale, add-scaled, fill-like helpers.

namespace ExpertMix.Tensors;

public sealed unsafe partial class Tensor
{
    /// <summary>this ·= <paramref name="s"/> element-wise (contiguous F32, not recorded by autograd).</summary>
    /// <exception cref="InvalidOperationException">Not a contiguous, writable F32 tensor.</exception>
    public void ScaleInPlace(float s)
    {
        RequireWritableF32();
        Backend.BinaryScalar(BinaryOp.Mul, this, s, this);
    }

    /// <summary>
    /// this += <paramref name="s"/>·<paramref name="other"/> with one rounding (FMA), same shape, not recorded by autograd
    /// (the optimiser / gradient-accumulation update). other may have any layout or float dtype.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    /// <exception cref="InvalidOperationException">This is not a contiguous, writable F32 tensor.</exception>
    public void AddScaledInPlace(Tensor other, float s)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Shape != Shape) throw new ArgumentException($"AddScaledInPlace of {other.Shape} into {Shape}", nameof(other));
        RequireWritableF32();
        var backend = Ops.BackendOf("AddScaledInPlace", this, other);
        using var o = Ops.F32Contiguous(other);
        backend.AddScaled(this, s, o, this);
    }

    private void RequireWritableF32()
    {
        RequireDType(DType.F32);
        RequireContiguous();
        if (Storage.IsReadOnly) throw new InvalidOperationException($"tensor {Describe()} is read-only (memory-mapped)");
    }
}

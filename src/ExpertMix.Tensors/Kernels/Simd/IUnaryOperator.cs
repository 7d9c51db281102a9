// Operator-struct contract for element-wise unary kernels (runtime TensorPrimitives style).
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels.Simd;

/// <summary>
/// A unary element-wise function y = f(x) with a scalar form and 128/256/512-bit vector forms. The vector forms
/// must compute the same function as the scalar form (bit-identical, or within the operator's documented bound);
/// <see cref="SimdDriver"/> dispatches between them and <see cref="SimdDriver.UnaryScalar{TOp}"/> is the reference.
/// </summary>
public interface IUnaryOperator
{
    /// <summary>The scalar reference form.</summary>
    static abstract float Invoke(float x);

    /// <summary>The 128-bit form.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x);

    /// <summary>The 256-bit form.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x);

    /// <summary>The 512-bit form.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

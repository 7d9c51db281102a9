// Operator-struct contract for element-wise binary kernels (runtime TensorPrimitives style).
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels.Simd;

/// <summary>
/// A binary element-wise function z = f(x, y) with a scalar form and 128/256/512-bit vector forms computing the
/// same function. Used by <see cref="SimdDriver.Binary{TOp}"/>, <see cref="SimdDriver.BinaryScalar{TOp}"/> and
/// <see cref="SimdDriver.RowBroadcast{TOp}"/>.
/// </summary>
public interface IBinaryOperator
{
    /// <summary>The scalar reference form.</summary>
    static abstract float Invoke(float x, float y);

    /// <summary>The 128-bit form.</summary>
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);

    /// <summary>The 256-bit form.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);

    /// <summary>The 512-bit form.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>The operator with its arguments swapped: f'(x, y) = TOp(y, x) (e.g. scalar − tensor, row − matrix).</summary>
public readonly struct Swapped<TOp> : IBinaryOperator where TOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => TOp.Invoke(y, x);

    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => TOp.Invoke(y, x);

    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => TOp.Invoke(y, x);

    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => TOp.Invoke(y, x);
}

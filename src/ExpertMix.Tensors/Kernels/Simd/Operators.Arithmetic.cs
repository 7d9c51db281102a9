// Arithmetic operator structs (add, sub, mul, div, max, min, neg, abs, square, sqrt, rsqrt, exp, log).
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels.Simd;

#pragma warning disable CA1815 // operator structs are stateless tags

/// <summary>x + y (IEEE; bit-identical in every form).</summary>
public readonly struct AddOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x + y;
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
}

/// <summary>x − y (bit-identical in every form).</summary>
public readonly struct SubOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x - y;
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x - y;
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x - y;
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x - y;
}

/// <summary>x · y (bit-identical in every form).</summary>
public readonly struct MulOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x * y;
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
}

/// <summary>x / y (IEEE division; bit-identical in every form).</summary>
public readonly struct DivOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x / y;
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x / y;
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x / y;
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x / y;
}

/// <summary>max(x, y), NaN-propagating, +0 &gt; −0 (torch.maximum; <see cref="MathF.Max(float, float)"/>).</summary>
public readonly struct MaxOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => MathF.Max(x, y);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);
}

/// <summary>min(x, y), NaN-propagating, −0 &lt; +0 (torch.minimum; <see cref="MathF.Min(float, float)"/>).</summary>
public readonly struct MinOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => MathF.Min(x, y);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.Min(x, y);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.Min(x, y);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.Min(x, y);
}

/// <summary>−x (sign flip; bit-identical).</summary>
public readonly struct NegOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => -x;
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => -x;
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => -x;
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => -x;
}

/// <summary>|x| (clears the sign bit; bit-identical).</summary>
public readonly struct AbsOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Abs(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Abs(x);
}

/// <summary>x² (bit-identical).</summary>
public readonly struct SquareOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => x * x;
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => x * x;
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => x * x;
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => x * x;
}

/// <summary>√x (correctly rounded; NaN for x &lt; 0; bit-identical).</summary>
public readonly struct SqrtOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Sqrt(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Sqrt(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Sqrt(x);
}

/// <summary>1/√x computed as a correctly rounded sqrt then a division (not the ~12-bit rsqrt estimate); bit-identical.</summary>
public readonly struct RsqrtOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => 1f / MathF.Sqrt(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / Vector128.Sqrt(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / Vector256.Sqrt(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / Vector512.Sqrt(x);
}

/// <summary>eˣ: scalar <see cref="MathF.Exp"/> (the reference), vectors <see cref="FastExp"/> (≤ 2 ulp for normal results).</summary>
public readonly struct ExpOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Exp(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => FastExp.Exp(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => FastExp.Exp(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => FastExp.Exp(x);
}

/// <summary>ln x (NaN for x &lt; 0, −∞ at 0): scalar <see cref="MathF.Log(float)"/>, vectors <c>Vector512.Log</c> (~1 ulp).</summary>
public readonly struct LogOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Log(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Log(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Log(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Log(x);
}

// Activation operator structs (GELU exact/tanh, SiLU, SwiGLU, sigmoid, tanh, ReLU) and their gradient operators.
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels.Simd;

#pragma warning disable CA1815 // operator structs are stateless tags

/// <summary>GELU exact: x·Φ(x) (torch gelu, approximate='none'). Bound: see <see cref="ActivationMath"/>.</summary>
public readonly struct GeluOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => x * ActivationMath.NormalCdf(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => x * ActivationMath.NormalCdf(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => x * ActivationMath.NormalCdf(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => x * ActivationMath.NormalCdf(x);
}

/// <summary>dGELU: g·(Φ(x) + x·φ(x)) for (x, g).</summary>
public readonly struct GeluGradOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => y * (ActivationMath.NormalCdf(x) + x * ActivationMath.NormalPdf(x));
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => y * (ActivationMath.NormalCdf(x) + x * ActivationMath.NormalPdf(x));
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => y * (ActivationMath.NormalCdf(x) + x * ActivationMath.NormalPdf(x));
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => y * (ActivationMath.NormalCdf(x) + x * ActivationMath.NormalPdf(x));
}

/// <summary>GELU tanh approximation (HF gelu_new / gelu_pytorch_tanh): ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), evaluated as the identical x·σ(2u) = x/(1 + exp(−2u)).</summary>
public readonly struct GeluTanhOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => x / (1f + MathF.Exp(-2f * ActivationMath.GeluTanhInner(x)));
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => x / (Vector128<float>.One + FastExp.Exp(Vector128.Create(-2f) * ActivationMath.GeluTanhInner(x)));
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + FastExp.Exp(Vector256.Create(-2f) * ActivationMath.GeluTanhInner(x)));
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + FastExp.Exp(Vector512.Create(-2f) * ActivationMath.GeluTanhInner(x)));
}

/// <summary>d(GELU tanh) for (x, g): with s = σ(2u): g·(s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²)).</summary>
public readonly struct GeluTanhGradOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => GeluTanhGrad(x, y);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => GeluTanhGrad(x, y);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => GeluTanhGrad(x, y);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => GeluTanhGrad(x, y);

    private static float GeluTanhGrad(float x, float g)
    {
        float s = 1f / (1f + MathF.Exp(-2f * ActivationMath.GeluTanhInner(x)));
        float du = ActivationMath.Sqrt2OverPi * (1f + 3f * ActivationMath.GeluTanhCubic * x * x);
        return g * (s + 2f * x * s * (1f - s) * du);
    }

    private static Vector128<float> GeluTanhGrad(Vector128<float> x, Vector128<float> g)
    {
        var s = Vector128<float>.One / (Vector128<float>.One + FastExp.Exp(Vector128.Create(-2f) * ActivationMath.GeluTanhInner(x)));
        var du = Vector128.Create(ActivationMath.Sqrt2OverPi) * (Vector128<float>.One + Vector128.Create(3f * ActivationMath.GeluTanhCubic) * x * x);
        return g * (s + Vector128.Create(2f) * x * s * (Vector128<float>.One - s) * du);
    }

    private static Vector256<float> GeluTanhGrad(Vector256<float> x, Vector256<float> g)
    {
        var s = Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(Vector256.Create(-2f) * ActivationMath.GeluTanhInner(x)));
        var du = Vector256.Create(ActivationMath.Sqrt2OverPi) * (Vector256<float>.One + Vector256.Create(3f * ActivationMath.GeluTanhCubic) * x * x);
        return g * (s + Vector256.Create(2f) * x * s * (Vector256<float>.One - s) * du);
    }

    private static Vector512<float> GeluTanhGrad(Vector512<float> x, Vector512<float> g)
    {
        var s = Vector512<float>.One / (Vector512<float>.One + FastExp.Exp(Vector512.Create(-2f) * ActivationMath.GeluTanhInner(x)));
        var du = Vector512.Create(ActivationMath.Sqrt2OverPi) * (Vector512<float>.One + Vector512.Create(3f * ActivationMath.GeluTanhCubic) * x * x);
        return g * (s + Vector512.Create(2f) * x * s * (Vector512<float>.One - s) * du);
    }
}

/// <summary>σ(x) = 1/(1 + exp(−x)).</summary>
public readonly struct SigmoidOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => ActivationMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => ActivationMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => ActivationMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => ActivationMath.Sigmoid(x);
}

/// <summary>dσ from the output, for (y = σ(x), g): g·y·(1 − y).</summary>
public readonly struct SigmoidGradOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => y * (x * (1f - x));
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => y * (x * (Vector128<float>.One - x));
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => y * (x * (Vector256<float>.One - x));
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => y * (x * (Vector512<float>.One - x));
}

/// <summary>SiLU (swish): x·σ(x) = x/(1 + exp(−x)).</summary>
public readonly struct SiluOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => x / (1f + MathF.Exp(-x));
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => x / (Vector128<float>.One + FastExp.Exp(-x));
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + FastExp.Exp(-x));
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + FastExp.Exp(-x));
}

/// <summary>dSiLU for (x, g): with s = σ(x): g·s·(1 + x(1 − s)).</summary>
public readonly struct SiluGradOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => SiluGrad(x, y);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => SiluGrad(x, y);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => SiluGrad(x, y);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => SiluGrad(x, y);

    private static float SiluGrad(float x, float g)
    {
        float s = 1f / (1f + MathF.Exp(-x));
        return g * (s * (1f + x * (1f - s)));
    }

    private static Vector128<float> SiluGrad(Vector128<float> x, Vector128<float> g)
    {
        var s = Vector128<float>.One / (Vector128<float>.One + FastExp.Exp(-x));
        return g * (s * (Vector128<float>.One + x * (Vector128<float>.One - s)));
    }

    private static Vector256<float> SiluGrad(Vector256<float> x, Vector256<float> g)
    {
        var s = Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(-x));
        return g * (s * (Vector256<float>.One + x * (Vector256<float>.One - s)));
    }

    private static Vector512<float> SiluGrad(Vector512<float> x, Vector512<float> g)
    {
        var s = Vector512<float>.One / (Vector512<float>.One + FastExp.Exp(-x));
        return g * (s * (Vector512<float>.One + x * (Vector512<float>.One - s)));
    }
}

/// <summary>SwiGLU for (gate, up): silu(gate)·up = gate·up/(1 + exp(−gate)).</summary>
public readonly struct SwiGluOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x * y / (1f + MathF.Exp(-x));
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y / (Vector128<float>.One + FastExp.Exp(-x));
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y / (Vector256<float>.One + FastExp.Exp(-x));
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y / (Vector512<float>.One + FastExp.Exp(-x));
}

/// <summary>tanh(x) (bound: see <see cref="ActivationMath"/>).</summary>
public readonly struct TanhOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => ActivationMath.Tanh(x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => ActivationMath.Tanh(x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => ActivationMath.Tanh(x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => ActivationMath.Tanh(x);
}

/// <summary>dtanh from the output, for (y = tanh(x), g): g·(1 − y²).</summary>
public readonly struct TanhGradOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => y * (1f - x * x);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => y * (Vector128<float>.One - x * x);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => y * (Vector256<float>.One - x * x);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => y * (Vector512<float>.One - x * x);
}

/// <summary>ReLU: max(x, 0) (NaN propagates; −0 → +0).</summary>
public readonly struct ReluOp : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Max(x, 0f);
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

/// <summary>dReLU for (x, g): g where x &gt; 0, else 0 (torch: threshold_backward).</summary>
public readonly struct ReluGradOp : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x > 0f ? y : 0f;
    /// <inheritdoc/>
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), y, Vector128<float>.Zero);
    /// <inheritdoc/>
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), y, Vector256<float>.Zero);
    /// <inheritdoc/>
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), y, Vector512<float>.Zero);
}

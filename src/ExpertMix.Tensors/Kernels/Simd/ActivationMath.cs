// Shared math for activations: erf-based normal CDF (exact GELU), sigmoid, tanh; scalar and vector forms.
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels.Simd;

/// <summary>
/// Activation math used by the operator structs. Error bounds (measured against a double reference):
/// <list type="bullet">
/// <item><see cref="Erf(float)"/>: relative error ≤ 2e-7 (|x| &lt; 0.921875: erf(x) = x·P(x²), a degree-5 least-squares
/// fit in x² on Chebyshev nodes; above: erf = 1 − exp(Q(|x|)) with Q a degree-10 fit of ln erfc on [0.921875, 6]).</item>
/// <item><see cref="NormalCdf(float)"/> Φ(x) = ½(1 + erf(x/√2)): relative error ≤ 2e-7 for x ≥ 0 and ≤ 1e-6 for −1.3 ≤ x &lt; 0 (cancellation in 1 + erf); for x &lt; −1.3 it is
/// evaluated as ½·erfc(|x|/√2) = ½·exp(Q) without cancellation, relative error ≤ 1e-5 (the f32 rounding of Q ≈ −x²/2);
/// Φ = 0 below x = −6√2 (where Φ &lt; 1e-17).</item>
/// <item><see cref="Tanh(float)"/>: odd Taylor polynomial to x⁹ for |x| &lt; 0.25, else (1 − e)/(1 + e) with e = exp(−2|x|);
/// relative error ≤ 5e-7.</item>
/// <item><see cref="Sigmoid(float)"/>: 1/(1 + exp(−x)), ≤ 3 ulp.</item>
/// </list>
/// Vector forms use <see cref="FastExp"/> (≤ 2 ulp) and the same polynomials, so SIMD and scalar agree to
/// within 1e-6 relative. NaN in → NaN out.
/// </summary>
public static class ActivationMath
{
    /// <summary>1/√2.</summary>
    public const float InvSqrt2 = 0.70710678118654752f;
    /// <summary>1/√(2π).</summary>
    public const float InvSqrt2Pi = 0.39894228040143268f;
    /// <summary>√(2/π), the constant of the tanh GELU approximation.</summary>
    public const float Sqrt2OverPi = 0.79788456080286536f;
    /// <summary>The cubic coefficient 0.044715 of the tanh GELU approximation.</summary>
    public const float GeluTanhCubic = 0.044715f;

    private const float SmallEnd = 0.921875f;
    private const float TailEnd = 6f;
    private const float TanhSmallEnd = 0.25f;
    private const float P0 = 1.1283791065216064f, P1 = -0.37612491846084595f, P2 = 0.1128179281949997f;
    private const float P3 = -0.026765860617160797f, P4 = 0.004992180969566107f, P5 = -0.0005986208561807871f;
    private const float Q0 = 0.0005198759608902037f, Q1 = -1.1311691999435425f, Q2 = -0.6299465894699097f;
    private const float Q3 = -0.11220816522836685f, Q4 = 0.027923045679926872f, Q5 = -0.005448089446872473f;
    private const float Q6 = 0.0008033656049519777f, Q7 = -8.570944191887975e-05f, Q8 = 6.2023218561080284e-06f;
    private const float Q9 = -2.7100196575702284e-07f, Q10 = 5.373941291964002e-09f;
    private const float T3 = -1f / 3f, T5 = 2f / 15f, T7 = -17f / 315f, T9 = 62f / 2835f;

    /// <summary>erf(x) (see the class remarks for the bound); erf(±∞) = ±1.</summary>
    public static float Erf(float x)
    {
        float t = MathF.Abs(x);
        if (t < SmallEnd) return x * SmallPoly(x * x);
        float e = t > TailEnd ? 0f : MathF.Exp(TailPoly(MathF.Min(t, TailEnd)));
        float r = 1f - e;
        return float.IsNaN(x) ? x : x < 0 ? -r : r;
    }

    /// <summary>Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF.</summary>
    public static float NormalCdf(float x)
    {
        float z = x * InvSqrt2;
        float t = MathF.Abs(z);
        if (t < SmallEnd) return 0.5f + 0.5f * (z * SmallPoly(z * z));
        float halfErfc = t > TailEnd ? 0f : 0.5f * MathF.Exp(TailPoly(MathF.Min(t, TailEnd)));
        return z < 0 ? halfErfc : 1f - halfErfc;
    }

    /// <summary>φ(x) = exp(−x²/2)/√(2π), the standard normal density.</summary>
    public static float NormalPdf(float x) => InvSqrt2Pi * MathF.Exp(-0.5f * x * x);

    /// <summary>σ(x) = 1/(1 + exp(−x)).</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>u(x) = √(2/π)·(x + 0.044715·x³), the argument of tanh in the tanh GELU approximation.</summary>
    public static float GeluTanhInner(float x) => Sqrt2OverPi * (x + GeluTanhCubic * x * x * x);

    /// <summary>tanh(x) (see the class remarks for the bound).</summary>
    public static float Tanh(float x)
    {
        float a = MathF.Abs(x);
        float s = x * x;
        if (a < TanhSmallEnd) return x + x * (s * (((T9 * s + T7) * s + T5) * s + T3));
        float e = MathF.Exp(-2f * a);
        float r = (1f - e) / (1f + e);
        return float.IsNaN(x) ? x : MathF.CopySign(r, x);
    }

    private static float SmallPoly(float s) => ((((P5 * s + P4) * s + P3) * s + P2) * s + P1) * s + P0;

    private static float TailPoly(float t) =>
        (((((((((Q10 * t + Q9) * t + Q8) * t + Q7) * t + Q6) * t + Q5) * t + Q4) * t + Q3) * t + Q2) * t + Q1) * t + Q0;

    /// <summary>Vector form of <see cref="NormalCdf(float)"/>.</summary>
    public static Vector512<float> NormalCdf(Vector512<float> x)
    {
        var z = x * Vector512.Create(InvSqrt2);
        var t = Vector512.Abs(z);
        var s = z * z;
        var p = Vector512.Create(P5);
        p = p * s + Vector512.Create(P4);
        p = p * s + Vector512.Create(P3);
        p = p * s + Vector512.Create(P2);
        p = p * s + Vector512.Create(P1);
        p = p * s + Vector512.Create(P0);
        var small = Vector512.Create(0.5f) + Vector512.Create(0.5f) * (z * p);
        var tc = Vector512.Min(t, Vector512.Create(TailEnd));
        var q = Vector512.Create(Q10);
        q = q * tc + Vector512.Create(Q9);
        q = q * tc + Vector512.Create(Q8);
        q = q * tc + Vector512.Create(Q7);
        q = q * tc + Vector512.Create(Q6);
        q = q * tc + Vector512.Create(Q5);
        q = q * tc + Vector512.Create(Q4);
        q = q * tc + Vector512.Create(Q3);
        q = q * tc + Vector512.Create(Q2);
        q = q * tc + Vector512.Create(Q1);
        q = q * tc + Vector512.Create(Q0);
        var halfErfc = Vector512.Create(0.5f) * FastExp.Exp(q);
        halfErfc = Vector512.ConditionalSelect(Vector512.GreaterThan(t, Vector512.Create(TailEnd)), Vector512<float>.Zero, halfErfc);
        var big = Vector512.ConditionalSelect(Vector512.LessThan(z, Vector512<float>.Zero), halfErfc, Vector512<float>.One - halfErfc);
        return Vector512.ConditionalSelect(Vector512.LessThan(t, Vector512.Create(SmallEnd)), small, big);
    }

    /// <summary>Vector form of <see cref="NormalPdf(float)"/>.</summary>
    public static Vector512<float> NormalPdf(Vector512<float> x) => Vector512.Create(InvSqrt2Pi) * FastExp.Exp(Vector512.Create(-0.5f) * x * x);

    /// <summary>Vector form of <see cref="Sigmoid(float)"/>.</summary>
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + FastExp.Exp(-x));

    /// <summary>Vector form of <see cref="GeluTanhInner(float)"/>.</summary>
    public static Vector512<float> GeluTanhInner(Vector512<float> x) => Vector512.Create(Sqrt2OverPi) * (x + Vector512.Create(GeluTanhCubic) * x * x * x);

    /// <summary>Vector form of <see cref="Tanh(float)"/>.</summary>
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var a = Vector512.Abs(x);
        var s = x * x;
        var p = Vector512.Create(T9);
        p = p * s + Vector512.Create(T7);
        p = p * s + Vector512.Create(T5);
        p = p * s + Vector512.Create(T3);
        var small = x + x * (s * p);
        var e = FastExp.Exp(Vector512.Create(-2f) * a);
        var r = (Vector512<float>.One - e) / (Vector512<float>.One + e);
        var big = r | (x & Vector512.Create(-0f));
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(TanhSmallEnd)), small, big);
    }

    /// <summary>Vector form of <see cref="NormalCdf(float)"/>.</summary>
    public static Vector256<float> NormalCdf(Vector256<float> x)
    {
        var z = x * Vector256.Create(InvSqrt2);
        var t = Vector256.Abs(z);
        var s = z * z;
        var p = Vector256.Create(P5);
        p = p * s + Vector256.Create(P4);
        p = p * s + Vector256.Create(P3);
        p = p * s + Vector256.Create(P2);
        p = p * s + Vector256.Create(P1);
        p = p * s + Vector256.Create(P0);
        var small = Vector256.Create(0.5f) + Vector256.Create(0.5f) * (z * p);
        var tc = Vector256.Min(t, Vector256.Create(TailEnd));
        var q = Vector256.Create(Q10);
        q = q * tc + Vector256.Create(Q9);
        q = q * tc + Vector256.Create(Q8);
        q = q * tc + Vector256.Create(Q7);
        q = q * tc + Vector256.Create(Q6);
        q = q * tc + Vector256.Create(Q5);
        q = q * tc + Vector256.Create(Q4);
        q = q * tc + Vector256.Create(Q3);
        q = q * tc + Vector256.Create(Q2);
        q = q * tc + Vector256.Create(Q1);
        q = q * tc + Vector256.Create(Q0);
        var halfErfc = Vector256.Create(0.5f) * FastExp.Exp(q);
        halfErfc = Vector256.ConditionalSelect(Vector256.GreaterThan(t, Vector256.Create(TailEnd)), Vector256<float>.Zero, halfErfc);
        var big = Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<float>.Zero), halfErfc, Vector256<float>.One - halfErfc);
        return Vector256.ConditionalSelect(Vector256.LessThan(t, Vector256.Create(SmallEnd)), small, big);
    }

    /// <summary>Vector form of <see cref="NormalPdf(float)"/>.</summary>
    public static Vector256<float> NormalPdf(Vector256<float> x) => Vector256.Create(InvSqrt2Pi) * FastExp.Exp(Vector256.Create(-0.5f) * x * x);

    /// <summary>Vector form of <see cref="Sigmoid(float)"/>.</summary>
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(-x));

    /// <summary>Vector form of <see cref="GeluTanhInner(float)"/>.</summary>
    public static Vector256<float> GeluTanhInner(Vector256<float> x) => Vector256.Create(Sqrt2OverPi) * (x + Vector256.Create(GeluTanhCubic) * x * x * x);

    /// <summary>Vector form of <see cref="Tanh(float)"/>.</summary>
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        var s = x * x;
        var p = Vector256.Create(T9);
        p = p * s + Vector256.Create(T7);
        p = p * s + Vector256.Create(T5);
        p = p * s + Vector256.Create(T3);
        var small = x + x * (s * p);
        var e = FastExp.Exp(Vector256.Create(-2f) * a);
        var r = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        var big = r | (x & Vector256.Create(-0f));
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhSmallEnd)), small, big);
    }

    /// <summary>Vector form of <see cref="NormalCdf(float)"/>.</summary>
    public static Vector128<float> NormalCdf(Vector128<float> x)
    {
        var z = x * Vector128.Create(InvSqrt2);
        var t = Vector128.Abs(z);
        var s = z * z;
        var p = Vector128.Create(P5);
        p = p * s + Vector128.Create(P4);
        p = p * s + Vector128.Create(P3);
        p = p * s + Vector128.Create(P2);
        p = p * s + Vector128.Create(P1);
        p = p * s + Vector128.Create(P0);
        var small = Vector128.Create(0.5f) + Vector128.Create(0.5f) * (z * p);
        var tc = Vector128.Min(t, Vector128.Create(TailEnd));
        var q = Vector128.Create(Q10);
        q = q * tc + Vector128.Create(Q9);
        q = q * tc + Vector128.Create(Q8);
        q = q * tc + Vector128.Create(Q7);
        q = q * tc + Vector128.Create(Q6);
        q = q * tc + Vector128.Create(Q5);
        q = q * tc + Vector128.Create(Q4);
        q = q * tc + Vector128.Create(Q3);
        q = q * tc + Vector128.Create(Q2);
        q = q * tc + Vector128.Create(Q1);
        q = q * tc + Vector128.Create(Q0);
        var halfErfc = Vector128.Create(0.5f) * FastExp.Exp(q);
        halfErfc = Vector128.ConditionalSelect(Vector128.GreaterThan(t, Vector128.Create(TailEnd)), Vector128<float>.Zero, halfErfc);
        var big = Vector128.ConditionalSelect(Vector128.LessThan(z, Vector128<float>.Zero), halfErfc, Vector128<float>.One - halfErfc);
        return Vector128.ConditionalSelect(Vector128.LessThan(t, Vector128.Create(SmallEnd)), small, big);
    }

    /// <summary>Vector form of <see cref="NormalPdf(float)"/>.</summary>
    public static Vector128<float> NormalPdf(Vector128<float> x) => Vector128.Create(InvSqrt2Pi) * FastExp.Exp(Vector128.Create(-0.5f) * x * x);

    /// <summary>Vector form of <see cref="Sigmoid(float)"/>.</summary>
    public static Vector128<float> Sigmoid(Vector128<float> x) => Vector128<float>.One / (Vector128<float>.One + FastExp.Exp(-x));

    /// <summary>Vector form of <see cref="GeluTanhInner(float)"/>.</summary>
    public static Vector128<float> GeluTanhInner(Vector128<float> x) => Vector128.Create(Sqrt2OverPi) * (x + Vector128.Create(GeluTanhCubic) * x * x * x);

    /// <summary>Vector form of <see cref="Tanh(float)"/>.</summary>
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        var a = Vector128.Abs(x);
        var s = x * x;
        var p = Vector128.Create(T9);
        p = p * s + Vector128.Create(T7);
        p = p * s + Vector128.Create(T5);
        p = p * s + Vector128.Create(T3);
        var small = x + x * (s * p);
        var e = FastExp.Exp(Vector128.Create(-2f) * a);
        var r = (Vector128<float>.One - e) / (Vector128<float>.One + e);
        var big = r | (x & Vector128.Create(-0f));
        return Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(TanhSmallEnd)), small, big);
    }
}

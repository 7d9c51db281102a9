// SIMD drivers vs their scalar twins at every length 0..256, aliasing, untouched tails, and math accuracy bounds.
using ExpertMix.Testing;
using ExpertMix.Tensors.Kernels;
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors.Tests;

[Trait("Category", "Kernels")]
public class ElementwiseKernelTests
{
    private delegate void UnaryKernel(ReadOnlySpan<float> x, Span<float> d);
    private delegate void BinaryKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d);

    private static readonly Dictionary<string, (UnaryKernel Simd, UnaryKernel Scalar, float Lo, float Hi, double Tol)> s_unary = new()
    {
        ["Neg"] = (SimdDriver.Unary<NegOp>, SimdDriver.UnaryScalar<NegOp>, -5, 5, 0),
        ["Abs"] = (SimdDriver.Unary<AbsOp>, SimdDriver.UnaryScalar<AbsOp>, -5, 5, 0),
        ["Square"] = (SimdDriver.Unary<SquareOp>, SimdDriver.UnaryScalar<SquareOp>, -5, 5, 0),
        ["Sqrt"] = (SimdDriver.Unary<SqrtOp>, SimdDriver.UnaryScalar<SqrtOp>, -1, 10, 0),
        ["Rsqrt"] = (SimdDriver.Unary<RsqrtOp>, SimdDriver.UnaryScalar<RsqrtOp>, -1, 10, 0),
        ["Exp"] = (SimdDriver.Unary<ExpOp>, SimdDriver.UnaryScalar<ExpOp>, -87, 88, 1e-6),
        ["Log"] = (SimdDriver.Unary<LogOp>, SimdDriver.UnaryScalar<LogOp>, -1, 100, 1e-6),
        ["Relu"] = (SimdDriver.Unary<ReluOp>, SimdDriver.UnaryScalar<ReluOp>, -5, 5, 0),
        ["Gelu"] = (SimdDriver.Unary<GeluOp>, SimdDriver.UnaryScalar<GeluOp>, -12, 12, 1e-6),
        ["GeluTanh"] = (SimdDriver.Unary<GeluTanhOp>, SimdDriver.UnaryScalar<GeluTanhOp>, -12, 12, 1e-6),
        ["Silu"] = (SimdDriver.Unary<SiluOp>, SimdDriver.UnaryScalar<SiluOp>, -30, 30, 1e-6),
        ["Sigmoid"] = (SimdDriver.Unary<SigmoidOp>, SimdDriver.UnaryScalar<SigmoidOp>, -30, 30, 1e-6),
        ["Tanh"] = (SimdDriver.Unary<TanhOp>, SimdDriver.UnaryScalar<TanhOp>, -6, 6, 1e-6),
    };

    private static readonly Dictionary<string, (BinaryKernel Simd, BinaryKernel Scalar, double Tol)> s_binary = new()
    {
        ["Add"] = (SimdDriver.Binary<AddOp>, SimdDriver.BinaryScalar<AddOp>, 0),
        ["Sub"] = (SimdDriver.Binary<SubOp>, SimdDriver.BinaryScalar<SubOp>, 0),
        ["Mul"] = (SimdDriver.Binary<MulOp>, SimdDriver.BinaryScalar<MulOp>, 0),
        ["Div"] = (SimdDriver.Binary<DivOp>, SimdDriver.BinaryScalar<DivOp>, 0),
        ["Max"] = (SimdDriver.Binary<MaxOp>, SimdDriver.BinaryScalar<MaxOp>, 0),
        ["Min"] = (SimdDriver.Binary<MinOp>, SimdDriver.BinaryScalar<MinOp>, 0),
        ["RSub"] = (SimdDriver.Binary<Swapped<SubOp>>, SimdDriver.BinaryScalar<Swapped<SubOp>>, 0),
        ["SwiGlu"] = (SimdDriver.Binary<SwiGluOp>, SimdDriver.BinaryScalar<SwiGluOp>, 1e-6),
        ["GeluGrad"] = (SimdDriver.Binary<GeluGradOp>, SimdDriver.BinaryScalar<GeluGradOp>, 1e-6),
        ["GeluTanhGrad"] = (SimdDriver.Binary<GeluTanhGradOp>, SimdDriver.BinaryScalar<GeluTanhGradOp>, 1e-6),
        ["SiluGrad"] = (SimdDriver.Binary<SiluGradOp>, SimdDriver.BinaryScalar<SiluGradOp>, 1e-6),
        ["SigmoidGrad"] = (SimdDriver.Binary<SigmoidGradOp>, SimdDriver.BinaryScalar<SigmoidGradOp>, 0),
        ["TanhGrad"] = (SimdDriver.Binary<TanhGradOp>, SimdDriver.BinaryScalar<TanhGradOp>, 0),
        ["ReluGrad"] = (SimdDriver.Binary<ReluGradOp>, SimdDriver.BinaryScalar<ReluGradOp>, 0),
        ["AddScaled"] = ((x, y, d) => Elementwise.AddScaled(x, 0.37f, y, d), (x, y, d) => Elementwise.AddScaledScalar(x, 0.37f, y, d), 0),
    };

    public static TheoryData<string> UnaryNames() => [.. s_unary.Keys];

    public static TheoryData<string> BinaryNames() => [.. s_binary.Keys];

    private static float[] Data(int n, float lo, float hi, ulong seed)
    {
        var x = DoubleMath.Uniform(n, lo, hi, seed);
        // Special values at fixed positions when they fit: NaN, ±0, ±∞.
        float[] specials = [float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity];
        for (int k = 0; k < specials.Length && 7 * k + 3 < n; k++) x[7 * k + 3] = specials[k];
        return x;
    }

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void Unary_simd_matches_scalar_at_every_length_and_leaves_the_tail_untouched(string name)
    {
        var (simd, scalar, lo, hi, tol) = s_unary[name];
        for (int n = 0; n <= 256; n++)
        {
            var x = Data(n, lo, hi, (ulong)n + 1);
            var expected = new float[n];
            scalar(x, expected);
            var actual = new float[n + 7];
            actual.AsSpan().Fill(float.NaN);
            actual.AsSpan(n).Fill(123.5f);
            simd(x, actual.AsSpan(0, n));
            TensorAssert.Close(expected, actual.AsSpan(0, n), tol, tol, $"{name} n={n}");
            if (tol == 0) TensorAssert.BitEqual(expected, actual.AsSpan(0, n), $"{name} n={n}");
            Assert.All(actual.AsSpan(n).ToArray(), v => Assert.Equal(123.5f, v));

            var inPlace = (float[])x.Clone();
            simd(inPlace, inPlace);
            TensorAssert.BitEqual(actual.AsSpan(0, n), inPlace, $"{name} in place n={n}");
        }
    }

    [Theory]
    [MemberData(nameof(BinaryNames))]
    public void Binary_simd_matches_scalar_at_every_length_with_aliasing(string name)
    {
        var (simd, scalar, tol) = s_binary[name];
        for (int n = 0; n <= 256; n++)
        {
            var x = Data(n, -4, 4, (ulong)n + 11);
            var y = DoubleMath.Uniform(n, -4, 4, (ulong)n + 999);
            var expected = new float[n];
            scalar(x, y, expected);
            var actual = new float[n + 5];
            actual.AsSpan(n).Fill(-7.25f);
            simd(x, y, actual.AsSpan(0, n));
            TensorAssert.Close(expected, actual.AsSpan(0, n), tol, tol, $"{name} n={n}");
            if (tol == 0) TensorAssert.BitEqual(expected, actual.AsSpan(0, n), $"{name} n={n}");
            Assert.All(actual.AsSpan(n).ToArray(), v => Assert.Equal(-7.25f, v));

            var aliasX = (float[])x.Clone();
            simd(aliasX, y, aliasX);
            TensorAssert.BitEqual(actual.AsSpan(0, n), aliasX, $"{name} destination == x, n={n}");
            var aliasY = (float[])y.Clone();
            simd(x, aliasY, aliasY);
            TensorAssert.BitEqual(actual.AsSpan(0, n), aliasY, $"{name} destination == y, n={n}");
        }
    }

    [Fact]
    public void Binary_with_scalar_and_row_broadcast_match_scalar_twins_at_every_length()
    {
        for (int n = 0; n <= 256; n++)
        {
            var x = Data(n, -4, 4, (ulong)n + 5);
            var e = new float[n];
            var a = new float[n];
            SimdDriver.BinaryWithScalarScalar<DivOp>(x, 0.3f, e);
            SimdDriver.BinaryWithScalar<DivOp>(x, 0.3f, a);
            TensorAssert.BitEqual(e, a, $"scalar operand n={n}");
            SimdDriver.BinaryWithScalarScalar<Swapped<SubOp>>(x, 1.5f, e);
            SimdDriver.BinaryWithScalar<Swapped<SubOp>>(x, 1.5f, a);
            TensorAssert.BitEqual(e, a, $"swapped scalar operand n={n}");
            for (int c = 1; c <= 3; c++)
            {
                if (n % c != 0) continue;
                foreach (int cols in new[] { c, n / c })
                {
                    if (cols == 0) continue;
                    var row = DoubleMath.Uniform(cols, -1, 1, 77);
                    var re = new float[n];
                    var ra = new float[n];
                    SimdDriver.RowBroadcastScalar<MulOp>(x, row, re);
                    SimdDriver.RowBroadcast<MulOp>(x, row, ra);
                    TensorAssert.BitEqual(re, ra, $"row broadcast n={n} cols={cols}");
                }
            }
        }
    }

    [Fact]
    public void Reference_erf_matches_python_math_module()
    {
        // python3 -c "import math; print(math.erfc(5.0), math.erf(0.5), math.erfc(3.5))"
        Assert.Equal(1.5374597944280351e-12, DoubleMath.Erfc(5.0), 1e-24);
        Assert.Equal(0.5204998778130465, DoubleMath.Erf(0.5), 1e-15);
        Assert.Equal(7.430983723414128e-07, DoubleMath.Erfc(3.5), 1e-19);
    }

    [Fact]
    public void Erf_is_within_2e7_relative_of_a_double_reference()
    {
        double worst = 0;
        for (int i = -60000; i <= 60000; i++)
        {
            float x = i * 1e-4f;
            double e = DoubleMath.Erf(x);
            float a = ActivationMath.Erf(x);
            if (e == 0) { Assert.Equal(0f, a); continue; }
            worst = Math.Max(worst, Math.Abs(a - e) / Math.Abs(e));
        }
        Assert.True(worst <= 2e-7, $"erf max relative error {worst:g3}");
        Assert.Equal(1f, ActivationMath.Erf(float.PositiveInfinity));
        Assert.Equal(-1f, ActivationMath.Erf(float.NegativeInfinity));
        Assert.True(float.IsNaN(ActivationMath.Erf(float.NaN)));
    }

    [Fact]
    public void Normal_cdf_and_tanh_meet_their_stated_bounds()
    {
        double worstCdf = 0, worstTail = 0, worstTanh = 0;
        for (int i = -90000; i <= 90000; i++)
        {
            float x = i * 1e-4f;
            double e = DoubleMath.NormalCdf(x);
            double rel = Math.Abs(ActivationMath.NormalCdf(x) - e) / e;
            if (x >= -1.3f) worstCdf = Math.Max(worstCdf, rel);
            else if (x > -8.4f) worstTail = Math.Max(worstTail, rel);
            if (Math.Abs(x) <= 6 && x != 0)
            {
                double t = Math.Tanh(x);
                worstTanh = Math.Max(worstTanh, Math.Abs(ActivationMath.Tanh(x) - t) / Math.Abs(t));
            }
        }
        Assert.True(worstCdf <= 1e-6, $"Φ relative error {worstCdf:g3} for x ≥ −1.3");
        Assert.True(worstTail <= 1e-5, $"Φ relative error {worstTail:g3} on the negative tail");
        Assert.True(worstTanh <= 5e-7, $"tanh relative error {worstTanh:g3}");
    }

    [Fact]
    public void Vector_activations_are_close_to_double_references()
    {
        var x = DoubleMath.Uniform(4096, -10, 10, 3);
        var y = new float[x.Length];
        (UnaryKernel K, Func<double, double> R, string Name)[] cases =
        [
            (SimdDriver.Unary<GeluOp>, DoubleMath.Gelu, "Gelu"),
            (SimdDriver.Unary<GeluTanhOp>, DoubleMath.GeluTanh, "GeluTanh"),
            (SimdDriver.Unary<SiluOp>, DoubleMath.Silu, "Silu"),
            (SimdDriver.Unary<SigmoidOp>, DoubleMath.Sigmoid, "Sigmoid"),
            (SimdDriver.Unary<TanhOp>, Math.Tanh, "Tanh"),
            (SimdDriver.Unary<ExpOp>, Math.Exp, "Exp"),
        ];
        foreach (var (k, r, name) in cases)
        {
            k(x, y);
            TensorAssert.Close(Array.ConvertAll(x, v => r(v)), Array.ConvertAll(y, v => (double)v), 1e-6, 2e-6, name);
        }
    }

    [Fact]
    public void Fast_exp_is_within_2_ulp_for_normal_results_and_handles_limits()
    {
        var x = new float[200_001];
        for (int i = 0; i < x.Length; i++) x[i] = -87f + 175.5f * i / (x.Length - 1);
        var y = new float[x.Length];
        SimdDriver.Unary<ExpOp>(x, y);
        double worst = 0, worstScalar = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i]);
            if (e > float.MaxValue) continue;
            worst = Math.Max(worst, Math.Abs(y[i] - e) / e);
            worstScalar = Math.Max(worstScalar, Math.Abs(FastExp.Exp(x[i]) - e) / e);
        }
        Assert.True(worst <= 2.4e-7, $"vector exp max relative error {worst:g3}");
        Assert.True(worstScalar <= 2.4e-7, $"scalar FastExp max relative error {worstScalar:g3}");
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 89f, -104f, -200f, 0f, -0f, -100f, 88.7f, 88.8f, 1f, -1f, 2f, 3f, 4f];
        var sy = new float[special.Length];
        SimdDriver.Unary<ExpOp>(special, sy);
        Assert.True(float.IsNaN(sy[0]));
        Assert.Equal(float.PositiveInfinity, sy[1]);
        Assert.Equal(0f, sy[2]);
        Assert.Equal(float.PositiveInfinity, sy[3]);
        Assert.Equal(0f, sy[5]);
        Assert.Equal(1f, sy[6]);
        Assert.Equal(1f, sy[7]);
        Assert.InRange(sy[8], 3.5e-44f, 3.9e-44f);                  // e^−100 ≈ 3.72e-44 (subnormal)
        Assert.Equal(float.PositiveInfinity, sy[10]);
        Assert.True(float.IsFinite(sy[9]));
    }
}

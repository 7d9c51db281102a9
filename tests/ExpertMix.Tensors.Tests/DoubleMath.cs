// Double-precision references for tests: erf/erfc (series and continued fraction), GELU variants, random data.

namespace ExpertMix.Tensors.Tests;

/// <summary>Reference math in double precision (independent of the f32 kernels under test).</summary>
internal static class DoubleMath
{
    /// <summary>erf(x): the all-positive series 2/√π·e^(−x²)·Σ (2x²)ⁿx/(2n+1)!! for |x| &lt; 3, else 1 − erfc.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        double r = a < 3 ? ErfSeries(a) : 1 - ErfcFraction(a);
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) accurate on both tails (continued fraction for x ≥ 3).</summary>
    public static double Erfc(double x)
    {
        if (x >= 3) return ErfcFraction(x);
        if (x <= -3) return 2 - ErfcFraction(-x);
        return 1 - Erf(x);
    }

    private static double ErfSeries(double a)
    {
        double term = a, sum = a;
        for (int n = 1; n < 200; n++)
        {
            term *= 2 * a * a / (2 * n + 1);
            sum += term;
            if (term < 1e-18 * sum) break;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-a * a) * sum;
    }

    private static double ErfcFraction(double x)
    {
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards.
        double k = x;
        for (int n = 120; n >= 1; n--) k = x + n / 2.0 / k;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / k;
    }

    /// <summary>Φ(x) = ½erfc(−x/√2).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    public static double Gelu(double x) => x * NormalCdf(x);

    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>Uniform floats in [lo, hi).</summary>
    public static float[] Uniform(int n, float lo, float hi, ulong seed)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.NextFloat();
        return a;
    }

    /// <summary>A random F32 tensor with values in [lo, hi).</summary>
    public static Tensor Rand(Shape shape, ulong seed, float lo = -2f, float hi = 2f) => Tensor.FromArray(Uniform((int)shape.Numel, lo, hi, seed), shape);

    /// <summary>Element-wise map of an array.</summary>
    public static double[] Map(double[] x, Func<double, double> f) => Array.ConvertAll(x, v => f(v));
}

// Shared helpers of the transformer-op tests: random data, row-scaled comparisons, thread-count sweeps.
using ExpertMix.Testing;
using Xunit.Sdk;

namespace ExpertMix.Tensors.Tests;

internal static class NnTestUtil
{
    /// <summary>Normal samples times <paramref name="std"/>.</summary>
    public static float[] RandomArray(Rng rng, int n, float std = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)rng.NextNormal() * std;
        return a;
    }

    /// <summary>A random F32 tensor.</summary>
    public static Tensor Randn(Rng rng, params int[] shape) => Tensor.Randn(new Shape(shape), rng);

    /// <summary>
    /// |e−a| ≤ tol·max(|e|, |a|, scale) where scale = max |e| of the whole span: the SIMD-vs-scalar metric for outputs
    /// of reductions (different summation order), which can cancel to values far below the row's magnitude.
    /// </summary>
    public static void RowScaledClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tol, string what, double minScale = 0)
    {
        if (expected.Length != actual.Length) throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        double scale = minScale;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (e.Equals(a) || double.IsNaN(e) && double.IsNaN(a)) continue;
            double lim = tol * Math.Max(scale, Math.Max(Math.Abs(e), Math.Abs(a)));
            if (!(Math.Abs(e - a) <= lim))
            {
                throw new XunitException(TensorAssert.Report(Array.ConvertAll(expected.ToArray(), x => (double)x), Array.ConvertAll(actual.ToArray(), x => (double)x), $"{what}: row-scaled error above {tol:g3} at index {i}"));
            }
        }
    }

    /// <summary>max |xᵢ| (0 for empty).</summary>
    public static double MaxAbs(ReadOnlySpan<float> x)
    {
        double m = 0;
        foreach (var v in x) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    /// <summary>
    /// √Σxᵢ²: the scale of the rounding error of a reordered sum of the xᵢ (SIMD lanes vs sequential), used as the
    /// minimum scale for outputs that subtract such a sum.
    /// </summary>
    public static double Norm2(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (var v in x) s += (double)v * v;
        return Math.Sqrt(s);
    }

    /// <summary>Asserts that the NaN-poisoned tail beyond <paramref name="n"/> is untouched.</summary>
    public static void TailIsNaN(ReadOnlySpan<float> buffer, int n, string what)
    {
        for (int i = n; i < buffer.Length; i++)
        {
            if (!float.IsNaN(buffer[i])) throw new XunitException($"{what}: element {i} past the end ({n}) was written");
        }
    }

    /// <summary>A destination of n elements followed by a NaN-poisoned tail of 3.</summary>
    public static float[] Poisoned(int n)
    {
        var a = new float[n + 3];
        Array.Fill(a, float.NaN);
        return a;
    }

    /// <summary>Runs <paramref name="compute"/> with 1, 2 and 3 engine threads and asserts bit-identical results.</summary>
    public static void SameForAnyThreadCount(Func<float[][]> compute, string what)
    {
        int saved = Engine.Threads;
        try
        {
            Engine.Threads = 1;
            var reference = compute();
            foreach (var threads in new[] { 2, 3 })
            {
                Engine.Threads = threads;
                var other = compute();
                for (int i = 0; i < reference.Length; i++) TensorAssert.BitEqual(reference[i], other[i], $"{what} output {i} with {threads} threads");
            }
        }
        finally
        {
            Engine.Threads = saved;
        }
    }
}

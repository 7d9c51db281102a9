// Reductions: pairwise sum kernels vs scalar twin and double sums, Sum/Mean/Var/Max/Min over dims, gradients, threads.
using ExpertMix.Testing;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")] // tests here change the global Engine.Threads; run them one at a time
public class ReductionTests
{
    private static double[] RefReduce(double[] x, int[] shape, int dim, Func<double[], double> f)
    {
        int outer = 1, inner = 1, n = shape[dim];
        for (int k = 0; k < dim; k++) outer *= shape[k];
        for (int k = dim + 1; k < shape.Length; k++) inner *= shape[k];
        var res = new double[outer * inner];
        var buf = new double[n];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                for (int k = 0; k < n; k++) buf[k] = x[(o * n + k) * inner + i];
                res[o * inner + i] = f(buf);
            }
        }
        return res;
    }

    private static double Variance(double[] v, bool unbiased)
    {
        double m = v.Average();
        return v.Sum(t => (t - m) * (t - m)) / (unbiased ? v.Length - 1 : v.Length);
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Pairwise_sum_simd_matches_scalar_twin_and_double_sum_at_every_length()
    {
        for (int n = 0; n <= 256 * 3; n += n < 256 ? 1 : 61)
        {
            var x = DoubleMath.Uniform(n, -1, 1, (ulong)n + 100);
            double exact = x.Sum(v => (double)v), scale = Math.Max(1, x.Sum(v => Math.Abs((double)v)));
            float simd = Reduction.Sum(x), scalar = Reduction.SumScalar(x);
            Assert.True(Math.Abs(simd - scalar) <= 1e-6 * scale, $"n={n}: simd {simd} scalar {scalar}");
            Assert.True(Math.Abs(simd - exact) <= 1e-6 * scale, $"n={n}: simd {simd} exact {exact}");
        }
    }

    [Fact]
    public void Large_sums_stay_accurate_and_are_bit_identical_across_thread_counts()
    {
        const int N = 1001 * 2997;
        using var x = DoubleMath.Rand(new[] { N }, 101, 0f, 1f);
        var xv = x.ToArray();
        double exact = 0;
        foreach (var v in xv) exact += v;
        int saved = Engine.Threads;
        try
        {
            Engine.Threads = 1;
            using var s1 = Ops.Sum(x);
            using var x2 = x.Reshape(1001, 2997);
            using var r1 = Ops.Sum(x2, 0);
            using var c1 = Ops.Sum(x2, 1);
            Engine.Threads = 2;
            using var s2 = Ops.Sum(x);
            using var r2 = Ops.Sum(x2, 0);
            using var c2 = Ops.Sum(x2, 1);
            Assert.Equal(BitConverter.SingleToInt32Bits(s1.Item()), BitConverter.SingleToInt32Bits(s2.Item()));
            TensorAssert.BitEqual(r1.ToArray(), r2.ToArray(), "dim 0");
            TensorAssert.BitEqual(c1.ToArray(), c2.ToArray(), "dim 1");
            Assert.True(Math.Abs(s1.Item() - exact) / exact < 1e-6, $"pairwise sum {s1.Item()} vs {exact}");
        }
        finally
        {
            Engine.Threads = saved;
        }
    }

    public static TheoryData<int[], int> Cases() => new()
    {
        { new[] { 5, 300 }, 1 }, { new[] { 5, 300 }, 0 }, { new[] { 2, 3, 4 }, 1 }, { new[] { 2, 3, 4 }, -1 }, { new[] { 7 }, 0 }, { new[] { 3, 1, 2 }, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dim_reductions_match_double_references(int[] shape, int dim)
    {
        using var x = DoubleMath.Rand(shape, 102);
        var xv = x.ToDoubleArray();
        int d = dim < 0 ? dim + shape.Length : dim;
        foreach (bool keep in new[] { false, true })
        {
            var expectShape = keep ? shape.Select((s, k) => k == d ? 1 : s).ToArray() : shape.Where((_, k) => k != d).ToArray();
            using var sum = Ops.Sum(x, dim, keep);
            using var mean = Ops.Mean(x, dim, keep);
            using var var1 = Ops.Var(x, dim, unbiased: true, keep);
            using var var0 = Ops.Var(x, dim, unbiased: false, keep);
            Assert.Equal(new Shape(expectShape), sum.Shape);
            double atol = 2e-6 * Math.Sqrt(shape[d]); // max abs scaled by √K (values in [−2, 2])
            TensorAssert.Close(RefReduce(xv, shape, d, v => v.Sum()), sum.ToDoubleArray(), atol, 1e-6, "Sum");
            TensorAssert.Close(RefReduce(xv, shape, d, v => v.Average()), mean.ToDoubleArray(), 1e-6, 1e-6, "Mean");
            if (shape[d] > 1) TensorAssert.Close(RefReduce(xv, shape, d, v => Variance(v, true)), var1.ToDoubleArray(), 1e-6, 1e-5, "Var unbiased");
            TensorAssert.Close(RefReduce(xv, shape, d, v => Variance(v, false)), var0.ToDoubleArray(), 1e-6, 1e-5, "Var biased");
            var (mx, mi) = Ops.Max(x, dim, keep);
            var (nx, ni) = Ops.Min(x, dim, keep);
            Assert.Equal(DType.I64, mi.DType);
            TensorAssert.Close(RefReduce(xv, shape, d, v => v.Max()), mx.ToDoubleArray(), 0, 0, "Max");
            TensorAssert.Close(RefReduce(xv, shape, d, v => Array.IndexOf(v, v.Max())), Array.ConvertAll(mi.ToInt64Array(), v => (double)v), 0, 0, "ArgMax");
            TensorAssert.Close(RefReduce(xv, shape, d, v => v.Min()), nx.ToDoubleArray(), 0, 0, "Min");
            TensorAssert.Close(RefReduce(xv, shape, d, v => Array.IndexOf(v, v.Min())), Array.ConvertAll(ni.ToInt64Array(), v => (double)v), 0, 0, "ArgMin");
            foreach (var t in new[] { mx, mi, nx, ni }) t.Dispose();
        }
    }

    [Fact]
    public void Max_picks_the_first_of_ties_and_propagates_nan()
    {
        using var x = Tensor.FromArray([1f, 3f, 3f, 2f, float.NaN, 5f, float.NaN, 0f], new[] { 2, 4 });
        var (v, i) = Ops.Max(x, 1);
        Assert.Equal(3f, v[0]);
        Assert.Equal(1L, i.ToInt64Array()[0]);
        Assert.True(float.IsNaN(v[1]));
        Assert.Equal(0L, i.ToInt64Array()[1]);
        using var all = Ops.Max(x);
        Assert.True(float.IsNaN(all.Item()));
        using var empty = Tensor.Zeros(new[] { 2, 0 });
        Assert.Throws<ArgumentException>(() => Ops.Max(empty, 1));
        using var es = Ops.Sum(empty, 1);
        Assert.Equal(new[] { 0f, 0f }, es.ToArray());
        using var em = Ops.Mean(empty);
        Assert.True(float.IsNaN(em.Item()));
    }

    [Fact]
    public void Reduction_gradients_match_finite_differences()
    {
        int[] shape = [3, 4, 5];
        using var x = DoubleMath.Rand(shape, 103);
        for (int d = 0; d < 3; d++)
        {
            int dd = d;
            foreach (bool keep in new[] { false, true })
            {
                GradCheck.Check($"Sum dim {d}", t => Ops.Sum(t[0], dd, keep), v => RefReduce(v[0], shape, dd, a => a.Sum()), [x]);
                GradCheck.Check($"Mean dim {d}", t => Ops.Mean(t[0], dd, keep), v => RefReduce(v[0], shape, dd, a => a.Average()), [x]);
                GradCheck.Check($"Var dim {d}", t => Ops.Var(t[0], dd, true, keep), v => RefReduce(v[0], shape, dd, a => Variance(a, true)), [x]);
                GradCheck.Check($"Max dim {d}", t => Ops.Max(t[0], dd, keep).Values, v => RefReduce(v[0], shape, dd, a => a.Max()), [x]);
                GradCheck.Check($"Min dim {d}", t => Ops.Min(t[0], dd, keep).Values, v => RefReduce(v[0], shape, dd, a => a.Min()), [x]);
            }
        }
        GradCheck.Check("Sum all", t => Ops.Sum(t[0]), v => [v[0].Sum()], [x]);
        GradCheck.Check("Mean all", t => Ops.Mean(t[0]), v => [v[0].Average()], [x]);
        GradCheck.Check("Max all", t => Ops.Max(t[0]), v => [v[0].Max()], [x]);
        GradCheck.Check("Min all", t => Ops.Min(t[0]), v => [v[0].Min()], [x]);
    }

    [Fact]
    public void Max_of_all_splits_the_gradient_among_ties()
    {
        using var x = Tensor.FromArray([1f, 4f, 4f, 2f]);
        x.RequiresGrad = true;
        using var m = Ops.Max(x);
        m.Backward();
        Assert.Equal(new[] { 0f, 0.5f, 0.5f, 0f }, x.Grad!.ToArray());
    }

    [Theory]
    [InlineData(new[] { 64, 37 }, new[] { 37 })]
    [InlineData(new[] { 300, 5 }, new[] { 1, 5 })]
    [InlineData(new[] { 4, 5, 6 }, new[] { 5, 1 })]
    [InlineData(new[] { 4, 5, 6 }, new[] { 4, 1, 6 })]
    [InlineData(new[] { 3, 1, 7 }, new[] { 1, 1, 1 })]
    [InlineData(new[] { 2, 3 }, new int[0])]
    public void Sum_to_matches_the_reference_reduction(int[] from, int[] to)
    {
        using var x = DoubleMath.Rand(from, 104);
        using var y = Ops.SumTo(x, to);
        Assert.Equal(new Shape(to), y.Shape);
        var xv = x.ToDoubleArray();
        var expected = new double[new Shape(to).Numel];
        var idx = new int[from.Length];
        for (int i = 0; i < xv.Length; i++)
        {
            int rem = i;
            for (int k = from.Length - 1; k >= 0; k--) { idx[k] = rem % from[k]; rem /= from[k]; }
            int o = 0, shift = from.Length - to.Length;
            for (int k = 0; k < to.Length; k++) o = o * to[k] + (to[k] == 1 ? 0 : idx[k + shift]);
            expected[o] += xv[i];
        }
        TensorAssert.Close(expected, y.ToDoubleArray(), 1e-5, 1e-6, "SumTo");
        using var slow = Tensor.Zeros(to);
        Ops.SumToReference(x, slow);
        TensorAssert.Close(slow.ToDoubleArray(), y.ToDoubleArray(), 1e-5, 1e-6, "SumTo fast vs reference");
        GradCheck.Check("SumTo", t => Ops.SumTo(t[0], to), v =>
        {
            var r = new double[expected.Length];
            for (int i = 0; i < v[0].Length; i++)
            {
                int rem = i;
                for (int k = from.Length - 1; k >= 0; k--) { idx[k] = rem % from[k]; rem /= from[k]; }
                int o = 0, shift = from.Length - to.Length;
                for (int k = 0; k < to.Length; k++) o = o * to[k] + (to[k] == 1 ? 0 : idx[k + shift]);
                r[o] += v[0][i];
            }
            return r;
        }, [x]);
    }
}

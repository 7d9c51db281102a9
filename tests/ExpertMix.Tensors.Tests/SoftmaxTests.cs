// Softmax / LogSoftmax: SIMD vs scalar twins at every length, NaN semantics, gradient checks, thread-count identity.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Testing;
using static ExpertMix.Tensors.Tests.NnTestUtil;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public class SoftmaxTests
{
    [Fact]
    [Trait("Category", "Kernels")]
    public void Softmax_simd_matches_scalar_twin_at_every_length()
    {
        var rng = new Rng(1);
        for (int n = 0; n <= 256; n++)
        {
            var x = RandomArray(rng, n, 3f);
            var dy = RandomArray(rng, n);
            var e = new float[n];
            var a = Poisoned(n);
            SoftmaxKernels.SoftmaxScalar(x, e);
            SoftmaxKernels.Softmax(x, a);
            TensorAssert.RelativeClose(e, a.AsSpan(0, n), Tolerances.SimdRelative, $"softmax n={n}");
            TailIsNaN(a, n, $"softmax n={n}");

            float shift = n == 0 ? 0f : x[0];
            TensorAssert.RelativeClose([SoftmaxKernels.SumExpScalar(x, shift)], [SoftmaxKernels.SumExp(x, shift)], Tolerances.SimdRelative, $"sum_exp n={n}");

            var inPlace = (float[])x.Clone();
            SoftmaxKernels.Softmax(inPlace, inPlace);
            TensorAssert.BitEqual(a.AsSpan(0, n), inPlace, $"softmax in place n={n}");

            var ge = new float[n];
            var ga = Poisoned(n);
            SoftmaxKernels.SoftmaxBackwardScalar(e, dy, ge);
            SoftmaxKernels.SoftmaxBackward(e, dy, ga);
            RowScaledClose(ge, ga.AsSpan(0, n), Tolerances.SimdRelative, $"softmax backward n={n}", Norm2(dy));
            TailIsNaN(ga, n, $"softmax backward n={n}");
        }
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void LogSoftmax_simd_matches_scalar_twin_at_every_length()
    {
        var rng = new Rng(2);
        for (int n = 0; n <= 256; n++)
        {
            var x = RandomArray(rng, n, 3f);
            var dy = RandomArray(rng, n);
            var e = new float[n];
            var a = Poisoned(n);
            SoftmaxKernels.LogSoftmaxScalar(x, e);
            SoftmaxKernels.LogSoftmax(x, a);
            RowScaledClose(e, a.AsSpan(0, n), Tolerances.SimdRelative, $"log_softmax n={n}");
            TailIsNaN(a, n, $"log_softmax n={n}");

            var inPlace = (float[])x.Clone();
            SoftmaxKernels.LogSoftmax(inPlace, inPlace);
            TensorAssert.BitEqual(a.AsSpan(0, n), inPlace, $"log_softmax in place n={n}");

            var ge = new float[n];
            var ga = Poisoned(n);
            SoftmaxKernels.LogSoftmaxBackwardScalar(e, dy, ge);
            SoftmaxKernels.LogSoftmaxBackward(e, dy, ga);
            RowScaledClose(ge, ga.AsSpan(0, n), Tolerances.SimdRelative, $"log_softmax backward n={n}", Norm2(dy));
            TailIsNaN(ga, n, $"log_softmax backward n={n}");
        }
    }

    [Fact]
    public void Softmax_rows_sum_to_one_and_match_exp_of_log_softmax()
    {
        var rng = new Rng(3);
        using var x = Randn(rng, 5, 3, 37);
        using var y = Ops.Softmax(x);
        using var ly = Ops.LogSoftmax(x);
        var ys = y.ToArray();
        var ls = ly.ToArray();
        for (int r = 0; r < 15; r++)
        {
            double sum = 0;
            for (int i = 0; i < 37; i++)
            {
                sum += ys[r * 37 + i];
                Assert.InRange(Math.Abs(Math.Exp(ls[r * 37 + i]) - ys[r * 37 + i]), 0, 1e-6);
            }
            Assert.InRange(sum, 1 - 1e-5, 1 + 1e-5);
        }
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Softmax_of_all_negative_infinity_row_is_nan_like_torch()
    {
        // torch.softmax(torch.full((3,), -inf), -1) -> [nan, nan, nan]; log_softmax likewise.
        float ninf = float.NegativeInfinity;
        using var x = Tensor.FromArray([ninf, ninf, ninf, 0f, ninf, 1f], new Shape(2, 3));
        var y = Ops.Softmax(x).ToArray();
        var ly = Ops.LogSoftmax(x).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(float.IsNaN(y[i]));
            Assert.True(float.IsNaN(ly[i]));
        }
        Assert.Equal(0f, y[4]);
        Assert.Equal(float.NegativeInfinity, ly[4]);
        Assert.Equal(1f, y[3] + y[5], 6);
    }

    [Fact]
    public void Softmax_backward_matches_finite_differences()
    {
        var rng = new Rng(4);
        using var x = Randn(rng, 3, 2, 7);
        GradCheck.Check("Softmax", t => Ops.Softmax(t[0]), v => SoftmaxRef(v[0], 7, log: false), [x]);
    }

    [Fact]
    public void LogSoftmax_backward_matches_finite_differences()
    {
        var rng = new Rng(5);
        using var x = Randn(rng, 4, 9);
        GradCheck.Check("LogSoftmax", t => Ops.LogSoftmax(t[0]), v => SoftmaxRef(v[0], 9, log: true), [x]);
    }

    [Fact]
    public void Softmax_is_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(6);
        using var x = Randn(rng, 97, 300);
        using var g = Randn(rng, 97, 300);
        foreach (var log in new[] { false, true })
        {
            SameForAnyThreadCount(() =>
            {
                using var leaf = x.Clone();
                leaf.RequiresGrad = true;
                using var y = log ? Ops.LogSoftmax(leaf) : Ops.Softmax(leaf);
                y.Backward(g);
                return [y.ToArray(), leaf.Grad!.ToArray()];
            }, log ? "LogSoftmax" : "Softmax");
        }
    }

    [Fact]
    public void Transformer_ops_accept_empty_tensors()
    {
        using var rows0 = Tensor.Zeros(new Shape(0, 5));
        using var cols0 = Tensor.Zeros(new Shape(3, 0));
        foreach (var x in new[] { rows0, cols0 })
        {
            using var y = Ops.Softmax(x);
            using var ly = Ops.LogSoftmax(x);
            using var ln = Ops.LayerNorm(x, null, null);
            using var rn = Ops.RmsNorm(x, null);
            Assert.Equal(x.Shape, y.Shape);
            Assert.Equal(x.Shape, ly.Shape);
            Assert.Equal(x.Shape, ln.Shape);
            Assert.Equal(x.Shape, rn.Shape);
        }
        using var q = Tensor.Zeros(new Shape(1, 2, 0, 4));
        using var k = Tensor.Zeros(new Shape(1, 1, 3, 4));
        using var o = Ops.ScaledDotProductAttention(q, k, k);
        Assert.Equal(q.Shape, o.Shape);
    }

    internal static double[] SoftmaxRef(double[] x, int cols, bool log)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / cols; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < cols; i++) max = Math.Max(max, x[r * cols + i]);
            for (int i = 0; i < cols; i++) sum += Math.Exp(x[r * cols + i] - max);
            for (int i = 0; i < cols; i++)
            {
                double z = x[r * cols + i] - max;
                y[r * cols + i] = log ? z - Math.Log(sum) : Math.Exp(z) / sum;
            }
        }
        return y;
    }
}

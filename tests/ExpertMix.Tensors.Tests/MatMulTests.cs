// Ops.MatMul (torch.matmul semantics, broadcasting, transposed views) and Ops.Linear: forward vs double references, GradCheck.
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")] // a test here changes the global Engine.Threads
public sealed class MatMulTests
{
    /// <summary>Double-precision batched matmul of row-major a [batchA..., m, k] and b [batchB..., k, n] with numpy broadcasting.</summary>
    private static double[] RefMatMul(double[] a, int[] aShape, double[] b, int[] bShape)
    {
        bool aVec = aShape.Length == 1, bVec = bShape.Length == 1;
        int[] a2 = aVec ? [1, aShape[0]] : aShape;
        int[] b2 = bVec ? [bShape[0], 1] : bShape;
        int m = a2[^2], k = a2[^1], n = b2[^1];
        var ab = a2[..^2];
        var bb = b2[..^2];
        int rank = Math.Max(ab.Length, bb.Length);
        var batch = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - ab.Length) >= 0 ? ab[i - (rank - ab.Length)] : 1;
            int db = i - (rank - bb.Length) >= 0 ? bb[i - (rank - bb.Length)] : 1;
            batch[i] = Math.Max(da, db);
        }
        int count = batch.Aggregate(1, (p, s) => p * s);
        var y = new double[count * m * n];
        var idx = new int[rank];
        for (int t = 0; t < count; t++)
        {
            int rem = t;
            for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % batch[d]; rem /= batch[d]; }
            int offA = 0, offB = 0;
            for (int d = 0; d < ab.Length; d++) offA = offA * ab[d] + (ab[d] == 1 ? 0 : idx[d + rank - ab.Length]);
            for (int d = 0; d < bb.Length; d++) offB = offB * bb[d] + (bb[d] == 1 ? 0 : idx[d + rank - bb.Length]);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += a[offA * m * k + i * k + p] * b[offB * k * n + p * n + j];
                    y[t * m * n + i * n + j] = s;
                }
            }
        }
        return y;
    }

    public static TheoryData<int[], int[], int[]> MatMulShapes() => new()
    {
        { new[] { 5 }, new[] { 5 }, Array.Empty<int>() },
        { new[] { 4 }, new[] { 4, 3 }, new[] { 3 } },
        { new[] { 3, 4 }, new[] { 4 }, new[] { 3 } },
        { new[] { 3, 4 }, new[] { 4, 5 }, new[] { 3, 5 } },
        { new[] { 2, 3, 4 }, new[] { 4, 5 }, new[] { 2, 3, 5 } },
        { new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 }, new[] { 2, 3, 3, 2 } },
        { new[] { 4 }, new[] { 2, 4, 3 }, new[] { 2, 3 } },
        { new[] { 2, 3, 4 }, new[] { 4 }, new[] { 2, 3 } },
    };

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    public void MatMul_follows_torch_matmul_shapes_and_values(int[] aShape, int[] bShape, int[] yShape)
    {
        var rng = new Rng(1);
        using var a = Tensor.Randn(new Shape(aShape), rng);
        using var b = Tensor.Randn(new Shape(bShape), rng);
        using var y = Ops.MatMul(a, b);
        Assert.Equal(new Shape(yShape), y.Shape);
        var expected = RefMatMul(a.ToDoubleArray(), aShape, b.ToDoubleArray(), bShape);
        TensorAssert.Nmse(expected, y.ToDoubleArray(), Tolerances.MatmulNmse, 1e-5, "matmul");
    }

    [Fact]
    public void MatMul_uses_transposed_views_correctly()
    {
        var rng = new Rng(2);
        using var at = Tensor.Randn(new Shape(2, 9, 7), rng);   // a = atᵀ: [2, 7, 9]
        using var b = Tensor.Randn(new Shape(9, 33), rng);
        using var a = at.Transpose(-1, -2);
        using var ac = a.Contiguous();
        using var bt = Tensor.Randn(new Shape(33, 9), rng);
        using var btv = bt.Transpose(0, 1);
        using var y1 = Ops.MatMul(a, btv);
        using var y2 = Ops.MatMul(ac, btv.Contiguous());
        TensorAssert.BitEqual(y2.ToArray(), y1.ToArray(), "transposed views vs contiguous copies");
        _ = b;
    }

    [Fact]
    public void MatMul_rejects_mismatched_inner_sizes()
    {
        using var a = Tensor.Zeros(new Shape(2, 3));
        using var b = Tensor.Zeros(new Shape(4, 5));
        var e = Assert.Throws<ArgumentException>(() => Ops.MatMul(a, b));
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    public void MatMul_backward_matches_finite_differences(int[] aShape, int[] bShape, int[] yShape)
    {
        _ = yShape;
        var rng = new Rng(3);
        using var a = Tensor.Randn(new Shape(aShape), rng);
        using var b = Tensor.Randn(new Shape(bShape), rng);
        GradCheck.Check("MatMul", t => Ops.MatMul(t[0], t[1]), v => RefMatMul(v[0], aShape, v[1], bShape), [a, b]);
    }

    private static double[] RefLinear(double[] x, double[] w, double[]? bias, int rows, int n, int k)
    {
        var y = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = bias?[j] ?? 0;
                for (int p = 0; p < k; p++) s += x[r * k + p] * w[j * k + p];
                y[r * n + j] = s;
            }
        }
        return y;
    }

    [Fact]
    public void Linear_backward_matches_finite_differences()
    {
        var rng = new Rng(4);
        using var x = Tensor.Randn(new Shape(2, 3, 5), rng);
        using var w = Tensor.Randn(new Shape(4, 5), rng);
        using var b = Tensor.Randn(new Shape(4), rng);
        GradCheck.Check("Linear", t => Ops.Linear(t[0], t[1], t[2]), v => RefLinear(v[0], v[1], v[2], 6, 4, 5), [x, w, b]);
        GradCheck.Check("Linear no bias", t => Ops.Linear(t[0], t[1]), v => RefLinear(v[0], v[1], null, 6, 4, 5), [x, w]);
        using var x1 = Tensor.Randn(new Shape(5), rng);
        GradCheck.Check("Linear 1-D (GEMV)", t => Ops.Linear(t[0], t[1], t[2]), v => RefLinear(v[0], v[1], v[2], 1, 4, 5), [x1, w, b]);
    }

    [Fact]
    public void Linear_with_packed_weight_backward_matches_finite_differences()
    {
        var rng = new Rng(5);
        using var x = Tensor.Randn(new Shape(3, 5), rng);
        using var w = Tensor.Randn(new Shape(4, 5), rng);
        using var b = Tensor.Randn(new Shape(4), rng);
        using var packed = PackedWeight.Pack(w);
        var wv = w.ToDoubleArray();
        GradCheck.Check("LinearPacked", t => Ops.Linear(t[0], packed, t[1]), v => RefLinear(v[0], wv, v[1], 3, 4, 5), [x, b]);
    }

    [Fact]
    public void Linear_matches_double_reference_on_large_shapes()
    {
        var rng = new Rng(6);
        using var x = Tensor.Randn(new Shape(37, 129), rng);
        using var w = Tensor.Randn(new Shape(70, 129), rng);
        using var b = Tensor.Randn(new Shape(70), rng);
        using var y = Ops.Linear(x, w, b);
        var e = RefLinear(x.ToDoubleArray(), w.ToDoubleArray(), b.ToDoubleArray(), 37, 70, 129);
        TensorAssert.Nmse(e, y.ToDoubleArray(), Tolerances.MatmulNmse, 1e-5 * Math.Sqrt(129) * 4, "linear");
    }

    [Fact]
    public void Packed_weight_sees_new_values_only_after_repack()
    {
        var rng = new Rng(7);
        using var w = Tensor.Randn(new Shape(40, 20), rng);
        using var x = Tensor.Randn(new Shape(3, 20), rng);
        using var packed = PackedWeight.Pack(w);
        using var before = Ops.Linear(x, packed);
        w.Span.Fill(0f);
        using var stale = Ops.Linear(x, packed);
        TensorAssert.BitEqual(before.ToArray(), stale.ToArray(), "stale pack keeps old values");
        packed.Repack();
        using var after = Ops.Linear(x, packed);
        Assert.All(after.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Batched_matmul_and_linear_are_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(8);
        using var q = Tensor.Randn(new Shape(6, 33, 16), rng);    // attention-like [B·H, T, Dh]
        using var k = Tensor.Randn(new Shape(6, 33, 16), rng);
        using var x = Tensor.Randn(new Shape(70, 129), rng);
        using var w = Tensor.Randn(new Shape(100, 129), rng);
        using var kt = k.Transpose(-1, -2);
        float[]? scores = null, lin = null;
        int saved = Engine.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Engine.Threads = threads;
                using var s1 = Ops.MatMul(q, kt);
                using var y1 = Ops.Linear(x, w);
                if (scores is null)
                {
                    scores = s1.ToArray();
                    lin = y1.ToArray();
                }
                else
                {
                    TensorAssert.BitEqual(scores, s1.ToArray(), $"batched matmul threads={threads}");
                    TensorAssert.BitEqual(lin!, y1.ToArray(), $"linear threads={threads}");
                }
            }
        }
        finally
        {
            Engine.Threads = saved;
        }
    }
}

// TopK vs a sort reference, Embedding / IndexSelect gather with scatter-add backward, range errors.
using ExpertMix.Testing;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")] // tests here change the global Engine.Threads; run them one at a time
public class IndexingTests
{
    [Fact]
    public void TopK_matches_a_stable_sort_reference_with_ties_and_nan()
    {
        var rng = new Rng(7);
        for (int n = 1; n <= 70; n++)
        {
            var row = new float[n];
            for (int i = 0; i < n; i++) row[i] = rng.NextInt(5) - 2;   // many ties
            if (n > 10) row[rng.NextInt(n)] = float.NaN;
            foreach (bool largest in new[] { true, false })
            {
                foreach (int k in new[] { 0, 1, n / 2, n })
                {
                    var ev = new float[k];
                    var ei = new long[k];
                    var av = new float[k];
                    var ai = new long[k];
                    Indexing.TopKReference(row, k, largest, ev, ei);
                    Indexing.TopK(row, k, largest, av, ai);
                    Assert.Equal(ei, ai);
                    TensorAssert.BitEqual(ev, av, $"n={n} k={k} largest={largest}");
                }
            }
        }
    }

    [Fact]
    public void TopK_op_returns_sorted_values_and_lower_index_on_ties()
    {
        using var x = Tensor.FromArray([1f, 3f, 3f, 2f, 0f, -1f, 5f, 5f], new[] { 2, 4 });
        var (v, i) = Ops.TopK(x, 2);
        Assert.Equal(new[] { 3f, 3f, 5f, 5f }, v.ToArray());
        Assert.Equal(new long[] { 1, 2, 2, 3 }, i.ToInt64Array());
        Assert.Equal(DType.I64, i.DType);
        var (sv, si) = Ops.TopK(x, 3, largest: false, indexType: DType.I32);
        Assert.Equal(new[] { 1f, 2f, 3f, -1f, 0f, 5f }, sv.ToArray());
        Assert.Equal(new long[] { 0, 3, 1, 1, 0, 2 }, si.ToInt64Array());
        Assert.Equal(DType.I32, si.DType);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.TopK(x, 5));
    }

    [Fact]
    public void TopK_values_gradient_scatters_back()
    {
        using var x = DoubleMath.Rand(new[] { 3, 8 }, 60);
        GradCheck.Check("TopK", t => Ops.TopK(t[0], 3).Values, v =>
        {
            var res = new List<double>();
            for (int r = 0; r < 3; r++) res.AddRange(v[0].Skip(r * 8).Take(8).OrderByDescending(a => a).Take(3));
            return [.. res];
        }, [x]);
    }

    [Fact]
    public void Embedding_gathers_rows_and_scatter_adds_duplicate_ids()
    {
        using var w = DoubleMath.Rand(new[] { 6, 5 }, 61);
        using var ids = Tensor.FromInts([2, 0, 2, 5, 1, 2], new[] { 2, 3 });
        using var y = Ops.Embedding(w, ids);
        Assert.Equal(new Shape(2, 3, 5), y.Shape);
        var wv = w.ToArray();
        var yv = y.ToArray();
        int[] idv = [2, 0, 2, 5, 1, 2];
        for (int p = 0; p < 6; p++) for (int c = 0; c < 5; c++) Assert.Equal(wv[idv[p] * 5 + c], yv[p * 5 + c]);

        GradCheck.Check("Embedding", t => Ops.Embedding(t[0], t[1]), v =>
        {
            var res = new double[30];
            for (int p = 0; p < 6; p++) for (int c = 0; c < 5; c++) res[p * 5 + c] = v[0][(int)v[1][p] * 5 + c];
            return res;
        }, [w, ids]);

        using var ids64 = Tensor.FromBytes(new long[] { 4, 4 }.SelectMany(BitConverter.GetBytes).ToArray(), new[] { 2 }, DType.I64);
        using var y64 = Ops.Embedding(w, ids64);
        Assert.Equal(wv.Skip(20).Take(5).Concat(wv.Skip(20).Take(5)).ToArray(), y64.ToArray());
    }

    [Fact]
    public void Embedding_rejects_out_of_range_ids_with_a_clear_message()
    {
        using var w = Tensor.Zeros(new[] { 4, 3 });
        using var bad = Tensor.FromInts([1, 4], new[] { 2 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, bad));
        Assert.Contains("index 4 at position 1", e.Message, StringComparison.Ordinal);
        using var neg = Tensor.FromInts([-1], new[] { 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding(w, neg));
        using var floats = Tensor.Zeros(new[] { 2 });
        Assert.Throws<ArgumentException>(() => Ops.Embedding(w, floats));
    }

    [Fact]
    public void Index_select_along_a_middle_dim_matches_reference_and_gradient()
    {
        using var x = DoubleMath.Rand(new[] { 2, 5, 3 }, 62);
        using var idx = Tensor.FromInts([4, 0, 4, 2], new[] { 4 });
        int[] iv = [4, 0, 4, 2];
        Func<double[][], double[]> reference = v =>
        {
            var res = new double[2 * 4 * 3];
            for (int o = 0; o < 2; o++) for (int j = 0; j < 4; j++) for (int i = 0; i < 3; i++) res[(o * 4 + j) * 3 + i] = v[0][(o * 5 + iv[j]) * 3 + i];
            return res;
        };
        using var y = Ops.IndexSelect(x, 1, idx);
        Assert.Equal(new Shape(2, 4, 3), y.Shape);
        TensorAssert.Close(reference([x.ToDoubleArray()]), y.ToDoubleArray(), 0, 0, "IndexSelect");
        GradCheck.Check("IndexSelect", t => Ops.IndexSelect(t[0], 1, t[1]), reference, [x, idx]);
    }

    [Fact]
    public void Embedding_backward_is_bit_identical_across_thread_counts()
    {
        using var w = DoubleMath.Rand(new[] { 50, 2048 }, 63);
        var rng = new Rng(5);
        var idv = new int[400];
        for (int i = 0; i < idv.Length; i++) idv[i] = rng.NextInt(50);
        using var ids = Tensor.FromInts(idv, new[] { 400 });
        using var g = DoubleMath.Rand(new[] { 400, 2048 }, 64);
        int saved = Engine.Threads;
        try
        {
            float[] Run(int threads)
            {
                Engine.Threads = threads;
                using var leaf = w.Clone();
                leaf.RequiresGrad = true;
                using var y = Ops.Embedding(leaf, ids);
                y.Backward(g);
                return leaf.Grad!.ToArray();
            }
            TensorAssert.BitEqual(Run(1), Run(2), "dW");
        }
        finally
        {
            Engine.Threads = saved;
        }
    }

    [Fact]
    public void Gather_matches_torch_semantics_and_scatter_adds_in_backward()
    {
        using var x = DoubleMath.Rand(new[] { 3, 4 }, 65);
        // torch.gather(x, 1, [[0, 0], [3, 1], [2, 2]]) and along dim 0 with repeated rows.
        using var i1 = Tensor.FromInts([0, 0, 3, 1, 2, 2], new[] { 3, 2 });
        using var i0 = Tensor.FromInts([2, 0, 1, 2, 2, 2, 0, 1], new[] { 2, 4 });
        int[] a1 = [0, 0, 3, 1, 2, 2];
        int[] a0 = [2, 0, 1, 2, 2, 2, 0, 1];
        double[] Ref1(double[][] v) => Enumerable.Range(0, 6).Select(k => v[0][k / 2 * 4 + a1[k]]).ToArray();
        double[] Ref0(double[][] v) => Enumerable.Range(0, 8).Select(k => v[0][a0[k] * 4 + k % 4]).ToArray();
        using var y1 = Ops.Gather(x, 1, i1);
        using var y0 = Ops.Gather(x, 0, i0);
        TensorAssert.Close(Ref1([x.ToDoubleArray()]), y1.ToDoubleArray(), 0, 0, "gather dim 1");
        TensorAssert.Close(Ref0([x.ToDoubleArray()]), y0.ToDoubleArray(), 0, 0, "gather dim 0");
        GradCheck.Check("Gather dim 1", t => Ops.Gather(t[0], 1, t[1]), Ref1, [x, i1]);
        GradCheck.Check("Gather dim 0", t => Ops.Gather(t[0], 0, t[1]), Ref0, [x, i0]);
        using var bad = Tensor.FromInts([4], new[] { 1, 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Gather(x, 1, bad));
    }

    [Fact]
    public void In_place_scale_and_add_scaled_update_the_storage()
    {
        using var a = DoubleMath.Rand(new[] { 5, 40 }, 66);
        using var b = DoubleMath.Rand(new[] { 5, 40 }, 67);
        var av = a.ToArray();
        var bv = b.ToArray();
        a.AddScaledInPlace(b, -0.5f);
        var e = new float[av.Length];
        for (int i = 0; i < e.Length; i++) e[i] = MathF.FusedMultiplyAdd(bv[i], -0.5f, av[i]);
        TensorAssert.BitEqual(e, a.ToArray(), "AddScaledInPlace");
        a.ScaleInPlace(3f);
        for (int i = 0; i < e.Length; i++) e[i] *= 3f;
        TensorAssert.BitEqual(e, a.ToArray(), "ScaleInPlace");
        using var t = a.Transpose(0, 1);
        Assert.Throws<InvalidOperationException>(() => t.ScaleInPlace(2f));
    }
}

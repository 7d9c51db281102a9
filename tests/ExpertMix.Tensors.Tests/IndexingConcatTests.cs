// Concat along any dim (n inputs) and Split/Chunk views, with gradients.
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class IndexingConcatTests
{
    [Fact]
    public void Concat_joins_along_each_dim_and_routes_gradients()
    {
        using var a = DoubleMath.Rand(new[] { 2, 3, 4 }, 70);
        for (int d = 0; d < 3; d++)
        {
            var bShape = new[] { 2, 3, 4 };
            bShape[d] = 2;
            using var b = DoubleMath.Rand(bShape, 71);
            var cShape = new[] { 2, 3, 4 };
            cShape[d] = 1;
            using var c = DoubleMath.Rand(cShape, 72);
            using var y = Ops.Concat([a, b, c], d);
            Assert.Equal(new[] { 2, 3, 4 }[d] + 3, y.Size(d));
            int dd = d;
            int[] aS = [2, 3, 4];
            double[] Ref(double[][] v)
            {
                var outShape = (int[])aS.Clone();
                outShape[dd] = aS[dd] + 3;
                var res = new double[outShape.Aggregate(1, (p, q) => p * q)];
                var shapes = new[] { aS, bShape, cShape };
                int outer = 1, inner = 1;
                for (int k = 0; k < dd; k++) outer *= aS[k];
                for (int k = dd + 1; k < 3; k++) inner *= aS[k];
                int pos = 0;
                for (int o = 0; o < outer; o++)
                {
                    for (int s = 0; s < 3; s++)
                    {
                        int len = shapes[s][dd] * inner;
                        Array.Copy(v[s], o * len, res, pos, len);
                        pos += len;
                    }
                }
                return res;
            }
            TensorAssert.Close(Ref([a.ToDoubleArray(), b.ToDoubleArray(), c.ToDoubleArray()]), y.ToDoubleArray(), 0, 0, $"Concat dim {d}");
            GradCheck.Check($"Concat dim {d}", t => Ops.Concat(t, dd), Ref, [a, b, c]);
        }
    }

    [Fact]
    public void Concat_rejects_mismatched_shapes_naming_them()
    {
        using var a = Tensor.Zeros(new[] { 2, 3 });
        using var b = Tensor.Zeros(new[] { 3, 3 });
        var e = Assert.Throws<ArgumentException>(() => Ops.Concat([a, b], 1));
        Assert.Contains("[2, 3], [3, 3]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Ops.Concat([], 0));
    }

    [Fact]
    public void Split_and_chunk_return_views_with_torch_sizes_and_gradients()
    {
        using var x = DoubleMath.Rand(new[] { 3, 10 }, 73);
        var parts = Ops.Split(x, 4, 1);
        Assert.Equal(new[] { 4, 4, 2 }, parts.Select(p => p.Size(1)).ToArray());
        Assert.All(parts, p => Assert.Same(x.Storage, p.Storage));
        var chunks = Ops.Chunk(x, 4, 1);            // torch.chunk(10, 4) → sizes 3, 3, 3, 1
        Assert.Equal(new[] { 3, 3, 3, 1 }, chunks.Select(p => p.Size(1)).ToArray());
        var six = Ops.Chunk(Tensor.Zeros(new[] { 6 }), 4, 0);   // torch.chunk(6, 4) → 2, 2, 2
        Assert.Equal(new[] { 2, 2, 2 }, six.Select(p => p.Size(0)).ToArray());
        using var rejoined = Ops.Concat(chunks, 1);
        TensorAssert.BitEqual(x.ToArray(), rejoined.ToArray(), "chunk then concat");

        GradCheck.Check("Split piece", t => Ops.Mul(Ops.Split(t[0], 4, 1)[1], 3f), v =>
        {
            var res = new double[12];
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) res[r * 4 + c] = 3 * v[0][r * 10 + 4 + c];
            return res;
        }, [x]);
        Assert.Throws<ArgumentException>(() => Ops.SplitSizes(x, [3, 3], 1));
    }
}

// CPU indexing family: row-parallel top-k, row-copy index-select, blocked deterministic scatter-add.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void TopK(Tensor x, int k, TopKOrder order, Tensor values, Tensor indices)
    {
        var (rows, n) = RowsCols(x);
        bool largest = order == TopKOrder.Largest;
        nint xp = (nint)x.DataPointer, vp = (nint)values.DataPointer, ip = (nint)indices.RawPointer;
        Par.For(rows, Math.Max(1, 8192 / Math.Max(1, n)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                Indexing.TopK(new ReadOnlySpan<float>((float*)xp + (long)r * n, n), k, largest,
                    new Span<float>((float*)vp + (long)r * k, k), new Span<long>((long*)ip + (long)r * k, k));
            }
        });
    }

    /// <inheritdoc/>
    public unsafe void IndexSelect(Tensor x, int dim, Tensor index, Tensor y)
    {
        var (outer, n, inner) = DimGeometry(x, dim);
        int m = checked((int)index.Numel);
        nint xp = (nint)x.DataPointer, yp = (nint)y.DataPointer, ip = (nint)index.RawPointer;
        Par.For(outer * m, Math.Max(1, 16384 / Math.Max(1, inner)), (t0, t1) =>
        {
            for (int t = t0; t < t1; t++)
            {
                int o = t / m, j = t % m;
                var src = new ReadOnlySpan<float>((float*)xp + ((long)o * n + ((long*)ip)[j]) * inner, inner);
                src.CopyTo(new Span<float>((float*)yp + (long)t * inner, inner));
            }
        });
    }

    /// <inheritdoc/>
    public unsafe void IndexAdd(Tensor src, int dim, Tensor index, Tensor dst)
    {
        var (outer, n, inner) = DimGeometry(dst, dim);
        int m = checked((int)index.Numel);
        const int InnerBlock = 1024;
        int ib = Math.Max(1, (inner + InnerBlock - 1) / InnerBlock);
        nint gp = (nint)src.DataPointer, dp = (nint)dst.DataPointer, ip = (nint)index.RawPointer;
        Par.For(outer * ib, 1, (t0, t1) =>
        {
            for (int t = t0; t < t1; t++)
            {
                int o = t / ib, c0 = t % ib * InnerBlock, len = Math.Min(InnerBlock, inner - c0);
                for (int j = 0; j < m; j++)
                {
                    var d = new Span<float>((float*)dp + ((long)o * n + ((long*)ip)[j]) * inner + c0, len);
                    var s = new ReadOnlySpan<float>((float*)gp + ((long)o * m + j) * inner + c0, len);
                    SimdDriver.Binary<AddOp>(d, s, d);
                }
            }
        });
    }

    /// <inheritdoc/>
    public void Gather(Tensor x, Tensor offsets, Tensor y)
    {
        ReadOnlySpan<float> xs = x.Span;
        ReadOnlySpan<long> os = offsets.AsSpan<long>();
        var ys = y.Span;
        for (int i = 0; i < os.Length; i++) ys[i] = xs[(int)os[i]];
    }

    /// <inheritdoc/>
    public void Scatter(ScatterMode mode, Tensor src, Tensor offsets, Tensor dst)
    {
        ReadOnlySpan<float> ss = src.Span;
        ReadOnlySpan<long> os = offsets.AsSpan<long>();
        var ds = dst.Span;
        if (mode == ScatterMode.Add)
        {
            for (int i = 0; i < os.Length; i++) ds[(int)os[i]] += ss[i];
        }
        else
        {
            for (int i = 0; i < os.Length; i++) ds[(int)os[i]] = ss[i];
        }
    }
}

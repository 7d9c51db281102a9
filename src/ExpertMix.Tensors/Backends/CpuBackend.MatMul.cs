// CPU matrix-product family: the packed SGEMM/GEMV kernels (f32, bf16 weights, pre-packed) and the batched GEMM.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void Linear(Tensor x, Tensor weight, float beta, Tensor y)
    {
        int m = x.Size(0), k = x.Size(1), n = y.Size(1);
        long ldw = Math.Max(weight.Stride(0), Math.Max(k, 1));
        if (weight.DType == DType.F32)
        {
            Gemm.Sgemm(Transpose.No, Transpose.Yes, m, n, k, 1f, x.DataPointer, Math.Max(k, 1), weight.DataPointer, ldw, beta, y.DataPointer, Math.Max(n, 1));
        }
        else
        {
            weight.RequireDType(DType.BF16);
            Gemm.SgemmBf16(Transpose.No, Transpose.Yes, m, n, k, 1f, x.DataPointer, Math.Max(k, 1), (ushort*)weight.RawPointer, ldw, beta, y.DataPointer, Math.Max(n, 1));
        }
    }

    /// <inheritdoc/>
    public unsafe void Linear(Tensor x, PackedWeight weight, float beta, Tensor y)
    {
        int k = weight.InFeatures, n = weight.OutFeatures;
        Gemm.SgemmPacked(Transpose.No, x.Size(0), 1f, x.DataPointer, Math.Max(k, 1), weight, beta, y.DataPointer, Math.Max(n, 1));
    }

    /// <inheritdoc/>
    public unsafe void MatMul(Tensor a, Tensor b, Tensor y)
    {
        if (y.Numel == 0) return;
        int m = a.Size(-2), k = a.Size(-1), n = b.Size(-1);
        var batch = Shape.Wrap(y.ShapeArray[..^2]);
        Tensor? ac = null, bc = null;
        try
        {
            var (ta, lda) = Layout(a, ref ac);
            var (tb, ldb) = Layout(b, ref bc);
            var aa = ac ?? a;
            var bb = bc ?? b;
            int count = checked((int)batch.Numel);
            var offA = BatchOffsets(aa, batch);
            var offB = BatchOffsets(bb, batch);
            var offC = new long[count];
            for (int t = 0; t < count; t++) offC[t] = (long)t * m * n;
            Gemm.SgemmBatched(ta, tb, m, n, k, 1f, aa.DataPointer, lda, offA, bb.DataPointer, ldb, offB, 0f, y.DataPointer, Math.Max(1, n), offC);
            GC.KeepAlive(aa);
            GC.KeepAlive(bb);
        }
        finally
        {
            ac?.Dispose();
            bc?.Dispose();
        }
    }

    /// <summary>How a matrix view enters the GEMM: row-major (No) or column-major (Yes) with its leading dimension; else a contiguous F32 copy.</summary>
    private static (Transpose Trans, long Ld) Layout(Tensor t, ref Tensor? copy)
    {
        int rows = t.Size(-2), cols = t.Size(-1);
        long sr = t.Stride(-2), sc = t.Stride(-1);
        if (t.DType == DType.F32)
        {
            if ((sc == 1 || cols == 1) && (sr >= cols || rows == 1)) return (Transpose.No, Math.Max(Math.Max(sr, cols), 1));
            if ((sr == 1 || rows == 1) && (sc >= rows || cols == 1)) return (Transpose.Yes, Math.Max(Math.Max(sc, rows), 1));
        }
        copy = EmptyOwnedBy(Instance, t.Shape, DType.F32, zero: false);
        StridedCopy.Copy(t, copy);
        return (Transpose.No, Math.Max(cols, 1));
    }

    /// <summary>Element offset of each broadcast batch matrix (stride 0 along broadcast dimensions).</summary>
    private static long[] BatchOffsets(Tensor t, Shape batch)
    {
        int rank = batch.Rank, own = t.Rank - 2;
        int count = checked((int)batch.Numel);
        var strides = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int j = i - (rank - own);
            strides[i] = j < 0 || t.ShapeArray[j] == 1 ? 0 : t.StrideArray[j];
        }
        var offs = new long[count];
        var idx = new int[rank];
        long off = 0;
        for (int c = 0; c < count; c++)
        {
            offs[c] = off;
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                off += strides[d];
                if (idx[d] < batch[d]) break;
                off -= strides[d] * batch[d];
                idx[d] = 0;
            }
        }
        return offs;
    }
}

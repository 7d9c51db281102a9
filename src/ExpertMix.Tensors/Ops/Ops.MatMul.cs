// MatMul (torch.matmul semantics: 1-D/2-D/batched broadcast) with autograd, built on the strided batched GEMM.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Matrix product with torch.matmul semantics: 1-D·1-D → scalar dot; 2-D·2-D → [M, N]; a 1-D left operand is
    /// treated as [1, K] and a 1-D right operand as [K, 1], the added dimension removed afterwards; otherwise batch
    /// dimensions (all but the last two) broadcast: [..., M, K]·[..., K, N] → [broadcast(...), M, N]. Inputs of other
    /// float dtypes are converted to F32. Transposed views are used without copies. f32 accumulate; NaN propagates.
    /// Backward: dA = dY·Bᵀ, dB = Aᵀ·dY (summed over broadcast batch dimensions).
    /// </summary>
    /// <exception cref="ArgumentException">A rank-0 input, mismatched inner sizes or non-broadcastable batch shapes.</exception>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank == 0 || b.Rank == 0) throw new ArgumentException($"MatMul needs rank ≥ 1 operands, got {a.Shape} and {b.Shape}");
        if (a.Size(-1) != b.Size(b.Rank == 1 ? 0 : -2)) throw new ArgumentException($"MatMul inner sizes differ: {a.Shape} · {b.Shape}");
        var aShape = a.ShapeArray;
        var bShape = b.ShapeArray;
        int[] a2Shape = a.Rank == 1 ? [1, aShape[0]] : aShape;
        int[] b2Shape = b.Rank == 1 ? [bShape[0], 1] : bShape;
        Tensor y;
        int[] coreShape;
        using (Autograd.NoGrad())
        {
            using var a2 = Matrixify(a, a2Shape);
            using var b2 = Matrixify(b, b2Shape);
            using var y2 = MatMulCore(a2, b2);
            coreShape = y2.ShapeArray;
            var outDims = new List<int>(coreShape);
            if (b.Rank == 1) outDims.RemoveAt(outDims.Count - 1);
            if (a.Rank == 1) outDims.RemoveAt(outDims.Count - (b.Rank == 1 ? 1 : 2));
            y = y2.Reshape([.. outDims]);
        }
        if (Autograd.ShouldRecord(a, b))
        {
            y.WithGradFn(new GradNode("MatMul", [a, b], g =>
            {
                using var g2 = g.Reshape(coreShape);
                Tensor? ga = null, gb = null;
                if (a.RequiresGrad)
                {
                    using var b2 = Matrixify(b, b2Shape);
                    using var bt = b2.Transpose(-1, -2);
                    using var full = MatMulCore(g2, bt);
                    using var summed = SumTo(full, Shape.Wrap(a2Shape));
                    ga = summed.Reshape(aShape);
                }
                if (b.RequiresGrad)
                {
                    using var a2 = Matrixify(a, a2Shape);
                    using var at = a2.Transpose(-1, -2);
                    using var full = MatMulCore(at, g2);
                    using var summed = SumTo(full, Shape.Wrap(b2Shape));
                    gb = summed.Reshape(bShape);
                }
                return [ga, gb];
            }));
        }
        return y;
    }

    private static Tensor Matrixify(Tensor t, int[] shape)
    {
        if (t.DType != DType.F32)
        {
            using var f = t.Detach().To(DType.F32);
            return f.Reshape(shape);
        }
        if (t.ShapeArray.AsSpan().SequenceEqual(shape)) return t.Detach();
        using var d = t.Detach();
        return d.Reshape(shape);
    }

    /// <summary>[..., M, K]·[..., K, N] with broadcast batch dimensions, no autograd.</summary>
    private static unsafe Tensor MatMulCore(Tensor a, Tensor b)
    {
        int m = a.Size(-2), k = a.Size(-1), n = b.Size(-1);
        if (b.Size(-2) != k) throw new ArgumentException($"MatMul inner sizes differ: {a.Shape} · {b.Shape}");
        var aBatch = a.ShapeArray[..^2];
        var bBatch = b.ShapeArray[..^2];
        Shape batch;
        try
        {
            batch = Shape.Broadcast(Shape.Wrap(aBatch), Shape.Wrap(bBatch));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"MatMul batch dimensions do not broadcast: {a.Shape} · {b.Shape}", e);
        }
        var outDims = new List<int>(batch.Dims.ToArray()) { m, n };
        var y = Tensor.Empty(Shape.Wrap([.. outDims]));
        if (y.Numel == 0) return y;
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
        return y;
    }

    /// <summary>How a matrix view enters the GEMM: row-major (No) or column-major (Yes) with its leading dimension; else a copy.</summary>
    private static (Transpose Trans, long Ld) Layout(Tensor t, ref Tensor? copy)
    {
        int rows = t.Size(-2), cols = t.Size(-1);
        long sr = t.Stride(-2), sc = t.Stride(-1);
        if (t.DType == DType.F32)
        {
            if ((sc == 1 || cols == 1) && (sr >= cols || rows == 1)) return (Transpose.No, Math.Max(Math.Max(sr, cols), 1));
            if ((sr == 1 || rows == 1) && (sc >= rows || cols == 1)) return (Transpose.Yes, Math.Max(Math.Max(sc, rows), 1));
        }
        copy = t.DType == DType.F32 ? t.Contiguous() : t.To(DType.F32);
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

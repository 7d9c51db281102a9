// MatMul (torch.matmul semantics: 1-D/2-D/batched broadcast) with autograd, built on the strided batched GEMM.

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
            using var f = CopyAs(t, DType.F32);
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
        var backend = BackendOf("MatMul", a, b);
        var y = backend.Empty(Shape.Wrap([.. outDims]), DType.F32, zero: false);
        backend.MatMul(a, b, y);
        return y;
    }
}

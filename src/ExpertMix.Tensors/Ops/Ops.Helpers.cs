// Shared plumbing of the element-wise ops: f32 materialisation, unary/binary/broadcast dispatch, gradient reduction.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>A contiguous F32 tensor with x's values: a view when x already is one, else a copy (never recorded).</summary>
    internal static Tensor F32Contiguous(Tensor x)
    {
        if (x.DType == DType.F32 && x.IsContiguous) return x.Detach();
        if (!x.DType.IsFloat()) throw new ArgumentException($"a float tensor is required, got {x.Describe()}", nameof(x));
        using (Autograd.NoGrad()) return x.To(DType.F32);
    }

    private static Tensor F32Any(Tensor x)
    {
        if (x.DType == DType.F32) return x.Detach();
        if (!x.DType.IsFloat()) throw new ArgumentException($"a float tensor is required, got {x.Describe()}", nameof(x));
        using (Autograd.NoGrad()) return x.To(DType.F32);
    }

    internal static unsafe Tensor MapUnary<TOp>(Tensor x) where TOp : IUnaryOperator
    {
        ArgumentNullException.ThrowIfNull(x);
        using var xc = F32Contiguous(x);
        var y = Tensor.Empty(x.Shape);
        Elementwise.Unary<TOp>(xc.DataPointer, y.DataPointer, x.Numel);
        return y;
    }

    internal static unsafe Tensor MapWithScalar<TOp>(Tensor x, float s) where TOp : IBinaryOperator
    {
        ArgumentNullException.ThrowIfNull(x);
        using var xc = F32Contiguous(x);
        var y = Tensor.Empty(x.Shape);
        Elementwise.BinaryWithScalar<TOp>(xc.DataPointer, s, y.DataPointer, x.Numel);
        return y;
    }

    /// <summary>
    /// Broadcast binary map: same-shape contiguous → flat SIMD; one side a single element → scalar operand;
    /// [.., C] ⊗ [C] → row broadcast; anything else (stride-0, transposed, mixed) → the general strided path.
    /// </summary>
    internal static unsafe Tensor MapBinary<TOp>(Tensor a, Tensor b) where TOp : IBinaryOperator
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        var y = Tensor.Empty(shape);
        if (y.Numel == 0) return y;
        if (a.DType == DType.F32 && b.DType == DType.F32)
        {
            bool aFull = a.Shape == shape && a.IsContiguous, bFull = b.Shape == shape && b.IsContiguous;
            if (aFull && bFull) { Elementwise.Binary<TOp>(a.DataPointer, b.DataPointer, y.DataPointer, y.Numel); return y; }
            if (aFull && b.Numel == 1) { Elementwise.BinaryWithScalar<TOp>(a.DataPointer, *b.DataPointer, y.DataPointer, y.Numel); return y; }
            if (bFull && a.Numel == 1) { Elementwise.BinaryWithScalar<Swapped<TOp>>(b.DataPointer, *a.DataPointer, y.DataPointer, y.Numel); return y; }
            int c = shape.Rank > 0 ? shape[-1] : 0;
            if (c > 0)
            {
                if (aFull && IsRow(b, c)) { Elementwise.RowBroadcast<TOp>(a.DataPointer, b.DataPointer, y.DataPointer, y.Numel / c, c); return y; }
                if (bFull && IsRow(a, c)) { Elementwise.RowBroadcast<Swapped<TOp>>(b.DataPointer, a.DataPointer, y.DataPointer, y.Numel / c, c); return y; }
            }
        }
        BroadcastReference<TOp>(a, b, y);
        return y;
    }

    /// <summary>The general strided path into a contiguous <paramref name="y"/> of the broadcast shape (used by tests as the reference).</summary>
    internal static unsafe void BroadcastReference<TOp>(Tensor a, Tensor b, Tensor y) where TOp : IBinaryOperator
    {
        using var af = F32Any(a);
        using var bf = F32Any(b);
        var dims = y.ShapeArray;
        Elementwise.BroadcastStrided<TOp>(af.DataPointer, AlignedStrides(af, dims), bf.DataPointer, AlignedStrides(bf, dims), y.DataPointer, dims);
    }

    private static bool IsRow(Tensor t, int c) => t.Rank >= 1 && t.Numel == c && t.Size(-1) == c && (c == 1 || t.Stride(-1) == 1);

    /// <summary>Strides of <paramref name="t"/> aligned to <paramref name="dims"/> (0 on broadcast and missing dimensions).</summary>
    internal static long[] AlignedStrides(Tensor t, int[] dims)
    {
        int rank = dims.Length, off = rank - t.Rank;
        var s = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int j = i - off;
            s[i] = j < 0 || t.ShapeArray[j] == 1 ? 0 : t.StrideArray[j];
        }
        return s;
    }

    /// <summary>The gradient of a broadcast input: <paramref name="g"/> summed to <paramref name="shape"/> (disposes g when reduced).</summary>
    private static Tensor ReduceGrad(Tensor g, Shape shape)
    {
        if (g.Shape == shape) return g;
        var r = SumTo(g, shape);
        g.Dispose();
        return r;
    }

    /// <summary>Scalar element-wise map over two same-shape tensors (backward helpers of rare ops; not vectorised).</summary>
    internal static Tensor Zip(Tensor a, Tensor b, Func<float, float, float> f)
    {
        using var ac = F32Contiguous(a);
        using var bc = F32Contiguous(b);
        if (ac.Shape != bc.Shape) throw new ArgumentException($"Zip shapes {a.Shape} and {b.Shape} differ");
        var y = Tensor.Empty(a.Shape);
        ReadOnlySpan<float> x0 = ac.Span, x1 = bc.Span;
        var d = y.Span;
        for (int i = 0; i < d.Length; i++) d[i] = f(x0[i], x1[i]);
        return y;
    }

    /// <summary>Scalar element-wise map (backward helpers of rare ops; not vectorised).</summary>
    internal static Tensor Map(Tensor a, Func<float, float> f)
    {
        using var ac = F32Contiguous(a);
        var y = Tensor.Empty(a.Shape);
        ReadOnlySpan<float> x0 = ac.Span;
        var d = y.Span;
        for (int i = 0; i < d.Length; i++) d[i] = f(x0[i]);
        return y;
    }
}

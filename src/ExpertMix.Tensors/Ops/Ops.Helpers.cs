// Shared plumbing of the element-wise ops: f32 materialisation, unary/binary/broadcast dispatch, gradient reduction.
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>A contiguous F32 tensor with x's values: a view when x already is one, else a copy on x's backend (never recorded).</summary>
    internal static Tensor F32Contiguous(Tensor x)
    {
        if (x.DType == DType.F32 && x.IsContiguous) return x.Detach();
        if (!x.DType.IsFloat()) throw new ArgumentException($"a float tensor is required, got {x.Describe()}", nameof(x));
        return CopyAs(x, DType.F32);
    }

    internal static Tensor MapUnary(UnaryOp op, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var xc = F32Contiguous(x);
        var y = EmptyOn(x.Backend, x.Shape);
        x.Backend.Unary(op, xc, y);
        return y;
    }

    internal static Tensor MapWithScalar(BinaryOp op, Tensor x, float s)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var xc = F32Contiguous(x);
        var y = EmptyOn(x.Backend, x.Shape);
        x.Backend.BinaryScalar(op, xc, s, y);
        return y;
    }

    internal static Tensor MapScalarFirst(BinaryOp op, float s, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var xc = F32Contiguous(x);
        var y = EmptyOn(x.Backend, x.Shape);
        x.Backend.ScalarBinary(op, s, xc, y);
        return y;
    }

    /// <summary>Broadcast binary map y = op(a, b) into a new contiguous F32 tensor of the broadcast shape.</summary>
    internal static Tensor MapBinary(BinaryOp op, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var backend = BackendOf(op, a, b);
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        var y = EmptyOn(backend, shape);
        if (y.Numel == 0) return y;
        backend.Binary(op, a, b, y);
        return y;
    }

    /// <summary>Same-shape binary map over contiguous F32 copies of a and b.</summary>
    internal static Tensor MapBinaryFlat(BinaryOp op, Tensor a, Tensor b)
    {
        var backend = BackendOf(op, a, b);
        using var ac = F32Contiguous(a);
        using var bc = F32Contiguous(b);
        var y = EmptyOn(backend, a.Shape);
        backend.Binary(op, ac, bc, y);
        return y;
    }

    /// <summary>The general strided path into a contiguous <paramref name="y"/> of the broadcast shape (used by tests as the reference).</summary>
    internal static void BroadcastReference<TOp>(Tensor a, Tensor b, Tensor y) where TOp : IBinaryOperator => CpuBackend.BroadcastStrided<TOp>(a, b, y);

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
        var y = EmptyOn(BackendOf("Zip", a, b), a.Shape);
        ReadOnlySpan<float> x0 = ac.Span, x1 = bc.Span;
        var d = y.Span;
        for (int i = 0; i < d.Length; i++) d[i] = f(x0[i], x1[i]);
        return y;
    }

    /// <summary>Scalar element-wise map (backward helpers of rare ops; not vectorised).</summary>
    internal static Tensor Map(Tensor a, Func<float, float> f)
    {
        using var ac = F32Contiguous(a);
        var y = EmptyOn(a.Backend, a.Shape);
        ReadOnlySpan<float> x0 = ac.Span;
        var d = y.Span;
        for (int i = 0; i < d.Length; i++) d[i] = f(x0[i]);
        return y;
    }
}

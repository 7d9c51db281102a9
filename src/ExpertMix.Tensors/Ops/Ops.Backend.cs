// How ops find their backend: the inputs' common backend (mixing backends is an error), plus backend-side allocation helpers.
namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>The backend of <paramref name="a"/>.</summary>
    internal static IBackend BackendOf(Tensor a) => a.Backend;

    /// <summary>The common backend of the non-null tensors.</summary>
    /// <exception cref="ArgumentException">Two tensors belong to different backends (names both tensors and backends).</exception>
    internal static IBackend BackendOf(string op, Tensor a, Tensor? b, Tensor? c = null, Tensor? d = null)
    {
        var be = a.Backend;
        Check(op, a, be, b);
        Check(op, a, be, c);
        Check(op, a, be, d);
        return be;
    }

    /// <summary>The common backend of a binary op's inputs; the op's name is formatted only for the error.</summary>
    /// <exception cref="ArgumentException">a and b belong to different backends.</exception>
    internal static IBackend BackendOf(BinaryOp op, Tensor a, Tensor b)
    {
        var be = a.Backend;
        if (!ReferenceEquals(b.Backend, be)) Check(op.ToString(), a, be, b);
        return be;
    }

    /// <summary>The common backend of all tensors in <paramref name="ts"/> (at least one).</summary>
    /// <exception cref="ArgumentException">Two tensors belong to different backends.</exception>
    internal static IBackend BackendOf(string op, IReadOnlyList<Tensor> ts)
    {
        var be = ts[0].Backend;
        for (int i = 1; i < ts.Count; i++) Check(op, ts[0], be, ts[i]);
        return be;
    }

    private static void Check(string op, Tensor first, IBackend be, Tensor? other)
    {
        if (other is null || ReferenceEquals(other.Backend, be)) return;
        throw new ArgumentException(
            $"{op}: tensors on different backends: {first.Describe()} is on backend '{be.Name}', {other.Describe()} is on backend '{other.Backend.Name}'");
    }

    /// <summary>A new uninitialised F32 tensor on <paramref name="backend"/>.</summary>
    internal static Tensor EmptyOn(IBackend backend, Shape shape, DType dtype = DType.F32) => backend.Empty(shape, dtype, zero: false);

    /// <summary>A new zero-filled tensor on <paramref name="backend"/>.</summary>
    internal static Tensor ZerosOn(IBackend backend, Shape shape, DType dtype = DType.F32) => backend.Empty(shape, dtype, zero: true);

    /// <summary>A rank-0 F32 tensor holding <paramref name="value"/> on <paramref name="backend"/>.</summary>
    internal static Tensor ScalarOn(IBackend backend, float value)
    {
        var t = backend.Empty(Shape.Wrap([]), DType.F32, zero: false);
        t.Span[0] = value;
        return t;
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/> on <paramref name="backend"/>.</summary>
    internal static Tensor FullOn(IBackend backend, Shape shape, float value)
    {
        var t = backend.Empty(shape, DType.F32, zero: false);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A contiguous copy of <paramref name="x"/> converted to <paramref name="dtype"/>, on x's backend (never recorded).</summary>
    internal static Tensor CopyAs(Tensor x, DType dtype)
    {
        var c = x.Backend.Empty(x.Shape, dtype, zero: false);
        x.Backend.Copy(x, c);
        return c;
    }

    /// <summary>An I64 tensor [values.Length] holding <paramref name="values"/> on <paramref name="backend"/>.</summary>
    internal static Tensor LongsOn(IBackend backend, long[] values)
    {
        var t = backend.Empty(Shape.Wrap([values.Length]), DType.I64, zero: false);
        values.CopyTo(t.AsSpan<long>());
        return t;
    }

    /// <summary>
    /// acc += g element-wise in place (gradient accumulation, not recorded): acc is a contiguous writable F32 tensor,
    /// g has the same shape and any layout/float dtype, both on the same backend.
    /// </summary>
    internal static void AccumulateInto(Tensor acc, Tensor g)
    {
        if (g.Shape != acc.Shape) throw new ArgumentException($"gradient accumulation of {g.Shape} into {acc.Shape}", nameof(g));
        acc.RequireDType(DType.F32);
        acc.RequireContiguous();
        BackendOf("AccumulateGrad", acc, g).Binary(BinaryOp.Add, acc, g, acc);
    }
}

// Drivers that run operator structs over spans: width dispatch (512/256/128/scalar) and buffered tails.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels.Simd;

/// <summary>
/// Element-wise drivers. Each picks the widest accelerated vector width (<see cref="Vector512"/>, then
/// <see cref="Vector256"/>, then <see cref="Vector128"/>, else the scalar form) and processes the tail by copying it
/// into a zero-padded vector buffer, so every element goes through the same vector form: the result of element i
/// does not depend on where a span starts or ends (thread chunking cannot change bits). The destination may be the
/// same memory as an input (in place); partial overlap is not supported. Each driver has a <c>…Scalar</c> twin that
/// only calls the scalar form: the reference that tests compare against.
/// </summary>
public static class SimdDriver
{
    /// <summary>destination[i] = TOp(x[i]).</summary>
    /// <exception cref="ArgumentException">destination is shorter than x.</exception>
    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> destination) where TOp : IUnaryOperator
    {
        Check(x.Length, destination.Length);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> b = stackalloc float[16];
                b.Clear();
                x[i..].CopyTo(b);
                TOp.Invoke(Vector512.Create<float>(b)).CopyTo(b);
                b[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> b = stackalloc float[8];
                b.Clear();
                x[i..].CopyTo(b);
                TOp.Invoke(Vector256.Create<float>(b)).CopyTo(b);
                b[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - 4; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> b = stackalloc float[4];
                b.Clear();
                x[i..].CopyTo(b);
                TOp.Invoke(Vector128.Create<float>(b)).CopyTo(b);
                b[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else
        {
            UnaryScalar<TOp>(x, destination);
        }
    }

    /// <summary>Scalar twin of <see cref="Unary{TOp}"/>.</summary>
    public static void UnaryScalar<TOp>(ReadOnlySpan<float> x, Span<float> destination) where TOp : IUnaryOperator
    {
        Check(x.Length, destination.Length);
        for (int i = 0; i < x.Length; i++) destination[i] = TOp.Invoke(x[i]);
    }

    /// <summary>destination[i] = TOp(x[i], y[i]).</summary>
    /// <exception cref="ArgumentException">Lengths of x and y differ or destination is shorter.</exception>
    public static void Binary<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination) where TOp : IBinaryOperator
    {
        if (x.Length != y.Length) throw new ArgumentException($"operand lengths differ: {x.Length} vs {y.Length}", nameof(y));
        Check(x.Length, destination.Length);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i), Vector512.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> a = stackalloc float[16], b = stackalloc float[16];
                a.Clear();
                b.Clear();
                x[i..].CopyTo(a);
                y[i..].CopyTo(b);
                TOp.Invoke(Vector512.Create<float>(a), Vector512.Create<float>(b)).CopyTo(a);
                a[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> a = stackalloc float[8], b = stackalloc float[8];
                a.Clear();
                b.Clear();
                x[i..].CopyTo(a);
                y[i..].CopyTo(b);
                TOp.Invoke(Vector256.Create<float>(a), Vector256.Create<float>(b)).CopyTo(a);
                a[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - 4; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref xs, (nuint)i), Vector128.LoadUnsafe(ref ys, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> a = stackalloc float[4], b = stackalloc float[4];
                a.Clear();
                b.Clear();
                x[i..].CopyTo(a);
                y[i..].CopyTo(b);
                TOp.Invoke(Vector128.Create<float>(a), Vector128.Create<float>(b)).CopyTo(a);
                a[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else
        {
            BinaryScalar<TOp>(x, y, destination);
        }
    }

    /// <summary>Scalar twin of <see cref="Binary{TOp}"/>.</summary>
    public static void BinaryScalar<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination) where TOp : IBinaryOperator
    {
        if (x.Length != y.Length) throw new ArgumentException($"operand lengths differ: {x.Length} vs {y.Length}", nameof(y));
        Check(x.Length, destination.Length);
        for (int i = 0; i < x.Length; i++) destination[i] = TOp.Invoke(x[i], y[i]);
    }

    /// <summary>destination[i] = TOp(x[i], y) for a scalar y (use <see cref="Swapped{TOp}"/> for TOp(y, x[i])).</summary>
    public static void BinaryWithScalar<TOp>(ReadOnlySpan<float> x, float y, Span<float> destination) where TOp : IBinaryOperator
    {
        Check(x.Length, destination.Length);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        int n = x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var yv = Vector512.Create(y);
            for (; i <= n - 16; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i), yv).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> b = stackalloc float[16];
                b.Clear();
                x[i..].CopyTo(b);
                TOp.Invoke(Vector512.Create<float>(b), yv).CopyTo(b);
                b[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var yv = Vector256.Create(y);
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i), yv).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> b = stackalloc float[8];
                b.Clear();
                x[i..].CopyTo(b);
                TOp.Invoke(Vector256.Create<float>(b), yv).CopyTo(b);
                b[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var yv = Vector128.Create(y);
            for (; i <= n - 4; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref xs, (nuint)i), yv).StoreUnsafe(ref ds, (nuint)i);
            if (i < n)
            {
                Span<float> b = stackalloc float[4];
                b.Clear();
                x[i..].CopyTo(b);
                TOp.Invoke(Vector128.Create<float>(b), yv).CopyTo(b);
                b[..(n - i)].CopyTo(destination[i..]);
            }
        }
        else
        {
            BinaryWithScalarScalar<TOp>(x, y, destination);
        }
    }

    /// <summary>Scalar twin of <see cref="BinaryWithScalar{TOp}"/>.</summary>
    public static void BinaryWithScalarScalar<TOp>(ReadOnlySpan<float> x, float y, Span<float> destination) where TOp : IBinaryOperator
    {
        Check(x.Length, destination.Length);
        for (int i = 0; i < x.Length; i++) destination[i] = TOp.Invoke(x[i], y);
    }

    /// <summary>
    /// Row broadcast (the bias case): x is [rows, row.Length] row-major and destination[r·C + c] = TOp(x[r·C + c], row[c]).
    /// </summary>
    /// <exception cref="ArgumentException">x.Length is not a multiple of row.Length, or destination is shorter.</exception>
    public static void RowBroadcast<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> row, Span<float> destination) where TOp : IBinaryOperator
    {
        int c = CheckRows(x.Length, row.Length, destination.Length);
        if (c == 0) return;
        for (int r = 0; r < x.Length; r += c) Binary<TOp>(x.Slice(r, c), row, destination.Slice(r, c));
    }

    /// <summary>Scalar twin of <see cref="RowBroadcast{TOp}"/>.</summary>
    public static void RowBroadcastScalar<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> row, Span<float> destination) where TOp : IBinaryOperator
    {
        int c = CheckRows(x.Length, row.Length, destination.Length);
        if (c == 0) return;
        for (int i = 0; i < x.Length; i++) destination[i] = TOp.Invoke(x[i], row[i % c]);
    }

    private static int CheckRows(int n, int c, int dn)
    {
        Check(n, dn);
        if (c == 0 ? n != 0 : n % c != 0) throw new ArgumentException($"length {n} is not a whole number of rows of {c}");
        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check(int n, int destinationLength)
    {
        if (destinationLength < n) throw new ArgumentException($"destination too short ({destinationLength} < {n})", "destination");
    }
}

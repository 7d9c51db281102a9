// Tensor creation and extraction: empty/zeros/full, from arrays, random, and back to arrays.
namespace ExpertMix.Tensors;

public sealed unsafe partial class Tensor
{
    /// <summary>An uninitialised contiguous tensor on the CPU backend.</summary>
    public static Tensor Empty(Shape shape, DType dtype = DType.F32) => CpuBackend.Instance.Empty(shape, dtype, zero: false);

    /// <summary>
    /// An uninitialised contiguous CPU tensor in an exactly sized, unpooled buffer (long-lived tensors such as model
    /// weights; pooled buffers round sizes up by as much as 25%). See also <see cref="Compact"/>.
    /// </summary>
    public static Tensor EmptyExact(Shape shape, DType dtype = DType.F32) => CpuBackend.EmptyOwnedBy(CpuBackend.Instance, shape, dtype, zero: false, exact: true);

    /// <summary>A contiguous tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.F32) => CpuBackend.Instance.Empty(shape, dtype, zero: true);

    /// <summary>A contiguous F32 tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value)
    {
        var t = Empty(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A contiguous F32 tensor of ones.</summary>
    public static Tensor Ones(Shape shape) => Full(shape, 1f);

    /// <summary>A rank-0 F32 tensor.</summary>
    public static Tensor Scalar(float value) => Full(Shape.Wrap([]), value);

    /// <summary>Copies <paramref name="data"/> (row-major) into a new F32 tensor of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public static Tensor FromArray(ReadOnlySpan<float> data, Shape shape)
    {
        if (data.Length != shape.Numel) throw new ArgumentException($"{data.Length} values do not fill shape {shape} ({shape.Numel} elements)", nameof(data));
        var t = Empty(shape);
        data.CopyTo(t.Span);
        return t;
    }

    /// <summary>A rank-1 F32 tensor with a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data) => FromArray(data, Shape.Wrap([data.Length]));

    /// <summary>Copies doubles (rounded to f32) into a new F32 tensor.</summary>
    public static Tensor FromArray(ReadOnlySpan<double> data, Shape shape)
    {
        if (data.Length != shape.Numel) throw new ArgumentException($"{data.Length} values do not fill shape {shape}", nameof(data));
        var t = Empty(shape);
        var s = t.Span;
        for (int i = 0; i < data.Length; i++) s[i] = (float)data[i];
        return t;
    }

    /// <summary>Copies ints into a new I32 tensor (token ids, indices).</summary>
    public static Tensor FromInts(ReadOnlySpan<int> data, Shape shape)
    {
        if (data.Length != shape.Numel) throw new ArgumentException($"{data.Length} values do not fill shape {shape}", nameof(data));
        var t = Empty(shape, DType.I32);
        data.CopyTo(t.AsSpan<int>());
        return t;
    }

    /// <summary>Copies raw bytes of <paramref name="dtype"/> elements into a new contiguous tensor.</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> bytes, Shape shape, DType dtype)
    {
        if (bytes.Length != shape.Numel * dtype.SizeOf()) throw new ArgumentException($"{bytes.Length} bytes do not fill shape {shape} of {dtype}", nameof(bytes));
        var t = Empty(shape, dtype);
        bytes.CopyTo(new Span<byte>(t.RawPointer, bytes.Length));
        return t;
    }

    /// <summary>[0, 1, …, n-1] as F32.</summary>
    public static Tensor Arange(int n)
    {
        var t = Empty(Shape.Wrap([n]));
        var s = t.Span;
        for (int i = 0; i < n; i++) s[i] = i;
        return t;
    }

    /// <summary>Standard-normal F32 samples from <paramref name="rng"/>, times <paramref name="std"/>.</summary>
    public static Tensor Randn(Shape shape, Rng rng, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Empty(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)rng.NextNormal() * std;
        return t;
    }

    /// <summary>Uniform F32 samples in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Rand(Shape shape, Rng rng, float low = 0f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Empty(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * rng.NextFloat();
        return t;
    }

    /// <summary>All elements in row-major order, converted to float (any dtype, any layout).</summary>
    public float[] ToArray()
    {
        if (DType == DType.F32 && IsContiguous) return Span.ToArray();
        using var c = To(DType.F32);
        return c.Span.ToArray();
    }

    /// <summary>All elements in row-major order, converted to double.</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.F64)
        {
            using var c = Contiguous();
            return c.AsSpan<double>().ToArray();
        }
        return Array.ConvertAll(ToArray(), x => (double)x);
    }

    /// <summary>All elements of an I32 or I64 tensor in row-major order.</summary>
    public long[] ToInt64Array()
    {
        using var c = Contiguous();
        return DType switch
        {
            DType.I64 => c.AsSpan<long>().ToArray(),
            DType.I32 => Array.ConvertAll(c.AsSpan<int>().ToArray(), x => (long)x),
            DType.U8 or DType.Bool => Array.ConvertAll(c.AsSpan<byte>().ToArray(), x => (long)x),
            _ => throw new InvalidOperationException($"ToInt64Array needs an integer tensor, not {DType}"),
        };
    }

    /// <summary>The single element of a one-element tensor, as float.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs one element; tensor {Describe()} has {Numel}");
        return ToArray()[0];
    }

    /// <summary>Element at <paramref name="index"/> (one index per dimension), converted to float.</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(index);
            if (index.Length != Rank) throw new ArgumentException($"{index.Length} indices for rank {Rank}", nameof(index));
            long off = Offset;
            for (int i = 0; i < Rank; i++)
            {
                if ((uint)index[i] >= (uint)_shape[i]) throw new IndexOutOfRangeException($"index {index[i]} out of range for dimension {i} of size {_shape[i]}");
                off += index[i] * _strides[i];
            }
            byte* p = Storage.Pointer;
            return DType switch
            {
                DType.F32 => ((float*)p)[off],
                DType.BF16 => Bf16.ToSingle(((ushort*)p)[off]),
                DType.F16 => (float)((Half*)p)[off],
                DType.F64 => (float)((double*)p)[off],
                DType.I32 => ((int*)p)[off],
                DType.I64 => ((long*)p)[off],
                _ => p[off],
            };
        }
    }
}

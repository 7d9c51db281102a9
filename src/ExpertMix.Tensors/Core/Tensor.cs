// The tensor: a typed, strided view of a reference-counted storage, with optional autograd state.
using System.Runtime.InteropServices;

namespace ExpertMix.Tensors;

/// <summary>
/// An n-dimensional array: <see cref="Shape"/>, element <see cref="Strides"/> and an <see cref="Offset"/> into a
/// <see cref="Storage"/>. Views (reshape, transpose, narrow, expand) share the storage.
/// </summary>
/// <remarks>
/// Lifetime: a tensor holds one reference on its storage; <see cref="Dispose"/> releases it (idempotent).
/// Functions never dispose their inputs. Inside a <see cref="TensorScope"/>, every tensor created is disposed when
/// the scope ends unless it was moved out with <see cref="TensorScope.Keep"/>. Using a disposed tensor throws
/// <see cref="ObjectDisposedException"/>. Compute kernels read and write <see cref="DType.F32"/>; 16-bit dtypes are
/// converted at the edges (<see cref="To(DType)"/>) except where a kernel reads them directly (bf16 GEMM weights).
/// </remarks>
public sealed unsafe partial class Tensor : IDisposable
{
    private readonly int[] _shape;
    private readonly long[] _strides;
    private Storage? _storage;

    internal Tensor(Storage storage, int[] shape, long[] strides, long offset, bool addRef)
    {
        if (addRef) storage.AddRef();
        _storage = storage;
        _shape = shape;
        _strides = strides;
        Offset = offset;
        long n = 1;
        foreach (var d in shape) n *= d;
        Numel = n;
        TensorScope.Current?.Register(this);
    }

    /// <summary>The sizes of each dimension.</summary>
    public Shape Shape => Shape.Wrap(_shape);

    /// <summary>Strides in elements (0 for broadcast dimensions).</summary>
    public ReadOnlySpan<long> Strides => _strides;

    /// <summary>Offset of element [0,…,0] in the storage, in elements.</summary>
    public long Offset { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public long Numel { get; }

    /// <summary>Element type of the storage.</summary>
    public DType DType => Storage.DType;

    /// <summary>The underlying storage (throws once disposed).</summary>
    public Storage Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor), $"tensor {Name ?? Shape.ToString()} was disposed");

    /// <summary>The backend that owns the storage.</summary>
    public IBackend Backend => Storage.Backend;

    /// <summary>Optional name (parameters carry their module path).</summary>
    public string? Name { get; set; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _storage is null;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[Shape.NormalizeDim(dim, Rank)];

    /// <summary>Stride of dimension <paramref name="dim"/> in elements.</summary>
    public long Stride(int dim) => _strides[Shape.NormalizeDim(dim, Rank)];

    /// <summary>True when the elements are laid out densely in row-major order (size-1 dims ignored).</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (_shape[i] == 1) continue;
                if (_strides[i] != expected) return false;
                expected *= _shape[i];
            }
            return true;
        }
    }

    /// <summary>Address of element [0,…,0] in bytes.</summary>
    public byte* RawPointer => Storage.Pointer + Offset * DType.SizeOf();

    /// <summary>Address of element [0,…,0] of an F32 tensor.</summary>
    public float* DataPointer
    {
        get
        {
            RequireDType(DType.F32);
            return (float*)RawPointer;
        }
    }

    /// <summary>The elements of a contiguous F32 tensor as a span (throws for other layouts/dtypes).</summary>
    public Span<float> Span
    {
        get
        {
            RequireDType(DType.F32);
            RequireContiguous();
            return new Span<float>(DataPointer, checked((int)Numel));
        }
    }

    /// <summary>The elements of a contiguous tensor of any dtype, reinterpreted as <typeparamref name="T"/>.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        RequireContiguous();
        if (sizeof(T) != DType.SizeOf()) throw new InvalidOperationException($"cannot view {DType} elements as {typeof(T).Name}");
        return new Span<T>(RawPointer, checked((int)Numel));
    }

    /// <summary>Throws unless the dtype is <paramref name="dtype"/>.</summary>
    public void RequireDType(DType dtype)
    {
        if (DType != dtype) throw new InvalidOperationException($"tensor {Describe()} has dtype {DType}; {dtype} is required");
    }

    /// <summary>Throws unless the tensor is contiguous.</summary>
    public void RequireContiguous()
    {
        if (!IsContiguous) throw new InvalidOperationException($"tensor {Describe()} is not contiguous; call Contiguous() first");
    }

    /// <summary>"name [2, 3] F32" for messages.</summary>
    public string Describe() => $"{(Name is null ? "" : Name + " ")}{Shape} {(_storage is null ? "disposed" : DType.ToString())}";

    /// <inheritdoc/>
    public override string ToString() => $"Tensor({Describe()})";

    /// <summary>
    /// Releases this tensor's reference on its storage (idempotent). The autograd link (<see cref="GradFn"/>) is
    /// kept, so disposing an intermediate before <see cref="Backward"/> does not cut the graph: gradients still flow
    /// through it (a backward rule that needs the disposed values fails loudly instead).
    /// </summary>
    public void Dispose()
    {
        var s = Interlocked.Exchange(ref _storage, null);
        if (s is null) return;
        s.Release();
    }

    /// <summary>The shape array itself (internal: never mutate).</summary>
    internal int[] ShapeArray => _shape;

    /// <summary>The strides array itself (internal: never mutate).</summary>
    internal long[] StrideArray => _strides;

    internal static Span<float> SpanOf(float* p, long n) => new(p, checked((int)n));

    /// <summary>Pins a managed array for the duration of a copy.</summary>
    internal static GCHandle Pin(object array) => GCHandle.Alloc(array, GCHandleType.Pinned);
}

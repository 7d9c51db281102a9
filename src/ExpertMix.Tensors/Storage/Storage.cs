// Reference-counted raw memory behind tensors: pooled CPU buffers (pinned arrays or OS pages) or external (memory-mapped) memory.
namespace ExpertMix.Tensors;

/// <summary>
/// A block of raw memory holding <see cref="Length"/> elements of <see cref="DType"/>.
/// </summary>
/// <remarks>
/// Ownership rule: a storage starts with one reference, held by the tensor that created it. Every view
/// (<see cref="Tensor"/> sharing the storage) takes another reference; <see cref="Tensor.Dispose"/> releases one.
/// When the count reaches zero the memory goes back to its owner (the <see cref="BufferPool"/> or the
/// memory-mapped file). Storages never rely on finalizers for correctness: a CPU storage that is never released is
/// reclaimed with its buffer once unreachable (pinned arrays by the GC, OS-mapped blocks by their finalizer), but
/// only an explicit release returns memory promptly; external storages keep their owner alive.
/// </remarks>
public abstract unsafe class Storage
{
    private int _refCount = 1;

    /// <summary>Creates a storage descriptor.</summary>
    protected Storage(DType dtype, long length, IBackend backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        DType = dtype;
        Length = length;
        Backend = backend;
    }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size in bytes (<c>Length × DType.SizeOf()</c>).</summary>
    public long ByteLength => Length * DType.SizeOf();

    /// <summary>The backend whose kernels operate on this memory.</summary>
    public IBackend Backend { get; }

    /// <summary>True when writes are forbidden (memory-mapped checkpoint data).</summary>
    public virtual bool IsReadOnly => false;

    /// <summary>Address of element 0. Valid while at least one reference is held.</summary>
    public abstract byte* Pointer { get; }

    /// <summary>True once the last reference was released.</summary>
    public bool IsReleased => Volatile.Read(ref _refCount) <= 0;

    /// <summary>Current number of references (diagnostics and exclusivity checks).</summary>
    public int RefCount => Volatile.Read(ref _refCount);

    internal void AddRef()
    {
        if (Interlocked.Increment(ref _refCount) <= 1)
        {
            throw new ObjectDisposedException(nameof(Storage), "storage was already released");
        }
    }

    internal void Release()
    {
        int n = Interlocked.Decrement(ref _refCount);
        if (n == 0) Free();
    }

    /// <summary>Returns the memory to its owner; called once, when the last reference is released.</summary>
    protected abstract void Free();
}

/// <summary>CPU memory from the <see cref="BufferPool"/>: a 64-byte aligned <see cref="HostBuffer"/> (pinned array or OS pages).</summary>
public sealed unsafe class CpuStorage : Storage
{
    private HostBuffer? _buffer;
    private readonly byte* _pointer;

    internal CpuStorage(DType dtype, long length, bool zero)
        : this(dtype, length, zero, CpuBackend.Instance)
    {
    }

    /// <summary>
    /// Pooled CPU memory owned by <paramref name="backend"/>: lets a backend that runs on host memory (a decorator
    /// around <see cref="CpuBackend"/>, e.g. a tracing or recording backend in tests) hand out its own tensors.
    /// </summary>
    internal CpuStorage(DType dtype, long length, bool zero, IBackend backend, bool exact = false)
        : base(dtype, length, backend)
    {
        long bytes = length * dtype.SizeOf();
        _buffer = exact ? BufferPool.Shared.RentExact(bytes) : BufferPool.Shared.Rent(bytes);
        _pointer = _buffer.Pointer;
        if (zero) ClearLarge(_pointer, bytes);
    }

    /// <summary>Bytes currently held by CPU tensor buffers mapped straight from the OS (≥ 256 KiB each; live tensors and idle pooled buffers).</summary>
    public static long NativeBytes => HostBuffer.NativeBytes;

    /// <summary>True when the buffer is OS-mapped memory (returned to the OS when released) rather than a pinned managed array.</summary>
    public bool IsNative => (_buffer ?? throw new ObjectDisposedException(nameof(CpuStorage))).IsNative;

    private static void ClearLarge(byte* p, long bytes)
    {
        for (long off = 0; off < bytes; off += int.MaxValue)
        {
            new Span<byte>(p + off, (int)Math.Min(int.MaxValue, bytes - off)).Clear();
        }
    }

    /// <inheritdoc/>
    public override byte* Pointer => _buffer is null ? throw new ObjectDisposedException(nameof(CpuStorage)) : _pointer;

    /// <inheritdoc/>
    protected override void Free()
    {
        var b = _buffer;
        _buffer = null;
        if (b is not null) BufferPool.Shared.Return(b);
    }
}

/// <summary>
/// Memory owned by someone else (a memory-mapped safetensors file, a pinned user array). The storage keeps
/// <c>owner</c> alive and calls <c>onRelease</c> when its last reference goes.
/// </summary>
public sealed unsafe class ExternalStorage : Storage
{
    private readonly byte* _pointer;
    private readonly bool _readOnly;
    private object? _owner;
    private Action? _onRelease;

    /// <summary>Wraps <paramref name="pointer"/> (valid while <paramref name="owner"/> lives) as a storage.</summary>
    public ExternalStorage(byte* pointer, DType dtype, long length, bool readOnly, object? owner, Action? onRelease = null)
        : base(dtype, length, CpuBackend.Instance)
    {
        _pointer = pointer;
        _readOnly = readOnly;
        _owner = owner;
        _onRelease = onRelease;
    }

    /// <inheritdoc/>
    public override bool IsReadOnly => _readOnly;

    /// <inheritdoc/>
    public override byte* Pointer => IsReleased ? throw new ObjectDisposedException(nameof(ExternalStorage)) : _pointer;

    /// <summary>The object that owns the memory.</summary>
    public object? Owner => _owner;

    /// <inheritdoc/>
    protected override void Free()
    {
        var a = _onRelease;
        _onRelease = null;
        _owner = null;
        a?.Invoke();
    }
}

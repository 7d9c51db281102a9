// Host memory behind a CPU storage: a pinned managed array (small buffers) or pages mapped from the OS (large ones).
using System.Runtime.InteropServices;

namespace ExpertMix.Tensors;

/// <summary>
/// One block of host memory with a 64-byte aligned <see cref="Pointer"/> and <see cref="Capacity"/> usable bytes.
/// Small blocks are pinned managed arrays (reclaimed by the GC). Blocks of at least
/// <see cref="NativeThresholdBytes"/> are anonymous OS pages (mmap on Linux, an aligned native allocation elsewhere)
/// that <see cref="Free"/> unmaps at once, so memory a model or a pool lets go of really leaves the process: freed
/// pinned arrays stay committed inside the GC's pinned heap while live neighbours pin their region.
/// </summary>
internal abstract unsafe class HostBuffer
{
    /// <summary>Blocks of at least this many bytes are mapped from the OS (256 KiB).</summary>
    public const long NativeThresholdBytes = 256L << 10;

    private static long s_nativeBytes;

    /// <summary>Bytes currently held in OS-mapped blocks (live or pooled).</summary>
    public static long NativeBytes => Interlocked.Read(ref s_nativeBytes);

    /// <summary>Aligned address of the usable region (valid until <see cref="Free"/>).</summary>
    public abstract byte* Pointer { get; }

    /// <summary>Usable bytes from <see cref="Pointer"/>.</summary>
    public long Capacity { get; protected init; }

    /// <summary>True while the block is an exact (unpooled, uncounted) rental of <see cref="BufferPool.RentExact"/>.</summary>
    public bool Exact { get; set; }

    /// <summary>True for OS-mapped blocks.</summary>
    public abstract bool IsNative { get; }

    /// <summary>A block of at least <paramref name="bytes"/> usable bytes: OS pages from <see cref="NativeThresholdBytes"/> up, else a pinned array.</summary>
    /// <exception cref="OutOfMemoryException">The OS refused the mapping, or a small block exceeds the array limit.</exception>
    public static HostBuffer Allocate(long bytes) => bytes >= NativeThresholdBytes ? new NativeHostBuffer(bytes) : new ManagedHostBuffer(bytes);

    /// <summary>Releases the memory (OS blocks are unmapped; arrays are left to the GC). Call at most once.</summary>
    public abstract void Free();

    private protected static void CountNative(long delta) => Interlocked.Add(ref s_nativeBytes, delta);
}

/// <summary>A pinned (POH) managed array with <see cref="BufferPool.AlignmentSlack"/> bytes of alignment slack.</summary>
internal sealed unsafe class ManagedHostBuffer : HostBuffer
{
    private byte[]? _array;
    private readonly byte* _pointer;

    public ManagedHostBuffer(long bytes)
    {
        if (bytes + BufferPool.AlignmentSlack > Array.MaxLength)
        {
            throw new OutOfMemoryException($"a single tensor buffer of {bytes} bytes exceeds the CPU backend's limit of {Array.MaxLength - BufferPool.AlignmentSlack} bytes");
        }
        _array = GC.AllocateUninitializedArray<byte>((int)(bytes + BufferPool.AlignmentSlack), pinned: true);
        byte* p = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _pointer = (byte*)(((nint)p + 63) & ~(nint)63);
        Capacity = bytes;
    }

    public override byte* Pointer => _array is null ? throw new ObjectDisposedException(nameof(HostBuffer)) : _pointer;

    public override bool IsNative => false;

    public override void Free() => _array = null;
}

/// <summary>
/// Anonymous pages from the OS, rounded up to whole pages. A finalizer unmaps a block whose owner was never released
/// (the same guarantee pinned arrays give: an unreachable storage is reclaimed).
/// </summary>
internal sealed unsafe partial class NativeHostBuffer : HostBuffer
{
    private const int ProtReadWrite = 0x1 | 0x2;       // PROT_READ | PROT_WRITE
    private const int MapPrivateAnonymous = 0x02 | 0x20; // MAP_PRIVATE | MAP_ANONYMOUS (Linux values)

    private byte* _pointer;
    private readonly nuint _mapped;

    public NativeHostBuffer(long bytes)
    {
        long page = Environment.SystemPageSize;
        long mapped = (bytes + page - 1) / page * page;
        if (OperatingSystem.IsLinux())
        {
            nint p = Mmap(0, (nuint)mapped, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (p == -1) throw new OutOfMemoryException($"mmap of a {mapped}-byte tensor buffer failed (errno {Marshal.GetLastPInvokeError()})");
            _pointer = (byte*)p;
        }
        else
        {
            _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)mapped, (nuint)page);
        }
        _mapped = (nuint)mapped;
        Capacity = bytes;
        CountNative(mapped);
    }

    ~NativeHostBuffer() => Release();

    public override byte* Pointer => _pointer is null ? throw new ObjectDisposedException(nameof(HostBuffer)) : _pointer;

    public override bool IsNative => true;

    public override void Free()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        byte* p = _pointer;
        if (p is null) return;
        _pointer = null;
        if (OperatingSystem.IsLinux()) _ = Munmap((nint)p, _mapped);
        else NativeMemory.AlignedFree(p);
        CountNative(-(long)_mapped);
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}

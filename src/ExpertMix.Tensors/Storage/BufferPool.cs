// Size-bucketed pool of pinned byte arrays so training steps and decode loops allocate nothing in steady state.
using System.Collections.Concurrent;

namespace ExpertMix.Tensors;

/// <summary>
/// Pool of pinned (POH) byte arrays. Sizes are rounded up to one of four steps per power of two (waste ≤ 25%);
/// buffers above <see cref="MaxPooledBytes"/> are allocated exactly and not retained. The pool keeps at most
/// <see cref="RetainLimitBytes"/> bytes of idle buffers.
/// </summary>
public sealed class BufferPool
{
    /// <summary>Alignment slack added to every buffer so the data pointer can be 64-byte aligned.</summary>
    public const int AlignmentSlack = 64;

    /// <summary>The process-wide pool used by <see cref="CpuStorage"/>.</summary>
    public static BufferPool Shared { get; } = new();

    private readonly ConcurrentDictionary<long, ConcurrentBag<byte[]>> _buckets = new();
    private long _retained;

    /// <summary>Buffers larger than this are not pooled (default 512 MiB).</summary>
    public long MaxPooledBytes { get; set; } = 512L << 20;

    /// <summary>Upper bound on idle bytes kept for reuse (default 4 GiB).</summary>
    public long RetainLimitBytes { get; set; } = 4L << 30;

    /// <summary>Idle bytes currently kept.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retained);

    /// <summary>Number of arrays allocated from the GC so far (a steady-state loop keeps this constant).</summary>
    public long Allocations => Interlocked.Read(ref _allocations);

    private long _allocations;

    /// <summary>Rounds a request up to its bucket size.</summary>
    public static long BucketSize(long bytes)
    {
        if (bytes <= 256) return 256;
        int log = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(bytes - 1));
        long pow = 1L << log; // pow < bytes <= 2 pow
        long step = pow / 4;
        long size = pow + ((bytes - pow + step - 1) / step) * step;
        return size;
    }

    /// <summary>Rents a pinned array with at least <paramref name="bytes"/> + <see cref="AlignmentSlack"/> bytes.</summary>
    public byte[] Rent(long bytes)
    {
        long size = bytes > MaxPooledBytes ? bytes : BucketSize(bytes);
        if (size + AlignmentSlack > Array.MaxLength)
        {
            throw new OutOfMemoryException($"a single tensor buffer of {bytes} bytes exceeds the CPU backend's limit of {Array.MaxLength - AlignmentSlack} bytes");
        }
        if (bytes <= MaxPooledBytes && _buckets.TryGetValue(size, out var bag) && bag.TryTake(out var arr))
        {
            Interlocked.Add(ref _retained, -arr.Length);
            return arr;
        }
        Interlocked.Increment(ref _allocations);
        return GC.AllocateUninitializedArray<byte>((int)(size + AlignmentSlack), pinned: true);
    }

    /// <summary>
    /// A pinned array of exactly <paramref name="bytes"/> + <see cref="AlignmentSlack"/> bytes, never taken from the pool
    /// (long-lived tensors such as model weights: <see cref="Rent"/> rounds sizes up by as much as 25%).
    /// <see cref="Return"/> accepts it and keeps it only if its size happens to be a bucket size.
    /// </summary>
    public byte[] RentExact(long bytes)
    {
        if (bytes + AlignmentSlack > Array.MaxLength)
        {
            throw new OutOfMemoryException($"a single tensor buffer of {bytes} bytes exceeds the CPU backend's limit of {Array.MaxLength - AlignmentSlack} bytes");
        }
        Interlocked.Increment(ref _allocations);
        return GC.AllocateUninitializedArray<byte>((int)(bytes + AlignmentSlack), pinned: true);
    }

    /// <summary>Returns an array obtained from <see cref="Rent"/> or <see cref="RentExact"/>.</summary>
    public void Return(byte[] array)
    {
        long size = array.Length - AlignmentSlack;
        if (size > MaxPooledBytes || size != BucketSize(size)) return;
        if (Interlocked.Add(ref _retained, array.Length) > RetainLimitBytes)
        {
            Interlocked.Add(ref _retained, -array.Length);
            return;
        }
        _buckets.GetOrAdd(size, _ => new ConcurrentBag<byte[]>()).Add(array);
    }

    /// <summary>Drops every idle buffer (lets the GC reclaim them).</summary>
    public void Trim()
    {
        _buckets.Clear();
        Interlocked.Exchange(ref _retained, 0);
    }
}

// Size-bucketed pool of host buffers so training steps and decode loops allocate nothing in steady state.
using System.Collections.Concurrent;

namespace ExpertMix.Tensors;

/// <summary>
/// Pool of host buffers (<see cref="HostBuffer"/>: pinned arrays below 256 KiB, OS-mapped pages above). Sizes are
/// rounded up to one of four steps per power of two (waste ≤ 25%); buffers above <see cref="MaxPooledBytes"/> are
/// allocated exactly and not retained. The pool keeps at most <see cref="RetainLimitBytes"/> bytes of idle buffers;
/// <see cref="Trim"/> gives them back.
/// </summary>
public sealed class BufferPool
{
    /// <summary>Alignment slack added to every buffer so the data pointer can be 64-byte aligned.</summary>
    public const int AlignmentSlack = 64;

    /// <summary>The process-wide pool used by <see cref="CpuStorage"/>.</summary>
    public static BufferPool Shared { get; } = new();

    private readonly ConcurrentDictionary<long, ConcurrentBag<HostBuffer>> _buckets = new();
    private long _retained;

    /// <summary>Buffers larger than this are not pooled (default 512 MiB).</summary>
    public long MaxPooledBytes { get; set; } = 512L << 20;

    /// <summary>Upper bound on idle bytes kept for reuse (default 4 GiB).</summary>
    public long RetainLimitBytes { get; set; } = 4L << 30;

    /// <summary>Idle bytes currently kept.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retained);

    /// <summary>Number of buffers allocated (from the GC or the OS) so far (a steady-state loop keeps this constant).</summary>
    public long Allocations => Interlocked.Read(ref _allocations);

    private long _allocations;
    private long _rented;
    private long _peakRented;

    /// <summary>Bytes of buffers handed out by <see cref="Rent"/> and not yet returned (exact rentals are not counted).</summary>
    public long RentedBytes => Interlocked.Read(ref _rented);

    /// <summary>Largest <see cref="RentedBytes"/> since the last <see cref="ResetPeakRented"/> (a phase's activation working set).</summary>
    public long PeakRentedBytes => Interlocked.Read(ref _peakRented);

    /// <summary>Restarts <see cref="PeakRentedBytes"/> from the current <see cref="RentedBytes"/>.</summary>
    public void ResetPeakRented() => Interlocked.Exchange(ref _peakRented, RentedBytes);

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

    /// <summary>Rents a block with at least <paramref name="bytes"/> usable bytes (its bucket size, unless above <see cref="MaxPooledBytes"/>).</summary>
    /// <exception cref="OutOfMemoryException">The memory could not be obtained.</exception>
    internal HostBuffer Rent(long bytes)
    {
        long size = bytes > MaxPooledBytes ? bytes : BucketSize(bytes);
        if (bytes <= MaxPooledBytes && _buckets.TryGetValue(size, out var bag) && bag.TryTake(out var buffer))
        {
            Interlocked.Add(ref _retained, -buffer.Capacity);
            CountRented(buffer.Capacity);
            return buffer;
        }
        Interlocked.Increment(ref _allocations);
        var fresh = HostBuffer.Allocate(size);
        CountRented(fresh.Capacity);
        return fresh;
    }

    private void CountRented(long bytes)
    {
        long now = Interlocked.Add(ref _rented, bytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peakRented)) && Interlocked.CompareExchange(ref _peakRented, now, peak) != peak)
        {
        }
    }

    /// <summary>
    /// A block of exactly <paramref name="bytes"/> usable bytes, never taken from the pool (long-lived tensors such as
    /// model weights: <see cref="Rent"/> rounds sizes up by as much as 25%). <see cref="Return"/> accepts it and keeps
    /// it only if its size happens to be a bucket size.
    /// </summary>
    /// <exception cref="OutOfMemoryException">The memory could not be obtained.</exception>
    internal HostBuffer RentExact(long bytes)
    {
        Interlocked.Increment(ref _allocations);
        var buffer = HostBuffer.Allocate(bytes);
        buffer.Exact = true;
        return buffer;
    }

    /// <summary>Returns a block obtained from <see cref="Rent"/> or <see cref="RentExact"/>: kept for reuse, or freed (OS blocks are unmapped at once).</summary>
    internal void Return(HostBuffer buffer)
    {
        long size = buffer.Capacity;
        if (!buffer.Exact) Interlocked.Add(ref _rented, -size);
        buffer.Exact = false;
        if (size > MaxPooledBytes || size != BucketSize(size))
        {
            buffer.Free();
            return;
        }
        if (Interlocked.Add(ref _retained, size) > RetainLimitBytes)
        {
            Interlocked.Add(ref _retained, -size);
            buffer.Free();
            return;
        }
        _buckets.GetOrAdd(size, _ => new ConcurrentBag<HostBuffer>()).Add(buffer);
    }

    /// <summary>
    /// Frees every idle buffer: large (OS-mapped) blocks go back to the OS at once, small arrays to the GC. Buffers in use
    /// are unaffected and return to the pool as usual. Call between phases whose working sets differ (after loading,
    /// between a long prefill and decoding) so the process does not keep the larger phase's buffers.
    /// </summary>
    public void Trim()
    {
        foreach (var bag in _buckets.Values)
        {
            while (bag.TryTake(out var buffer))
            {
                Interlocked.Add(ref _retained, -buffer.Capacity);
                buffer.Free();
            }
        }
    }
}

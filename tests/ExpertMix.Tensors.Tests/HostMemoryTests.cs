// Host buffers behind CPU tensors: OS-mapped large blocks, their release, pool trimming and retention.
using System.Runtime.CompilerServices;

namespace ExpertMix.Tensors.Tests;

public sealed class HostBufferTests
{
    [Fact]
    public unsafe void Large_blocks_are_os_mapped_aligned_and_writable_small_ones_are_managed()
    {
        long big = HostBuffer.NativeThresholdBytes + 12345;
        var native = HostBuffer.Allocate(big);
        var small = HostBuffer.Allocate(1000);
        try
        {
            Assert.True(native.IsNative);
            Assert.False(small.IsNative);
            Assert.Equal(big, native.Capacity);
            Assert.Equal(1000, small.Capacity);
            Assert.Equal(0, (long)native.Pointer % 64);
            Assert.Equal(0, (long)small.Pointer % 64);
            var span = new Span<byte>(native.Pointer, checked((int)big));
            span.Fill(0xA5);
            Assert.Equal(0xA5, span[^1]);
        }
        finally
        {
            native.Free();
            small.Free();
        }
        Assert.Throws<ObjectDisposedException>(() => (long)native.Pointer);
        Assert.Throws<ObjectDisposedException>(() => (long)small.Pointer);
    }

    [Fact]
    public void Pool_counts_rented_bytes_and_their_peak_but_not_exact_rentals()
    {
        var pool = new BufferPool();
        var a = pool.Rent(1 << 20);
        var b = pool.Rent(3 << 20);
        var exact = pool.RentExact((1 << 20) + 1);
        Assert.Equal(a.Capacity + b.Capacity, pool.RentedBytes);
        pool.Return(a);
        pool.Return(exact);
        Assert.Equal(b.Capacity, pool.RentedBytes);
        Assert.Equal(a.Capacity + b.Capacity, pool.PeakRentedBytes);
        pool.ResetPeakRented();
        Assert.Equal(b.Capacity, pool.PeakRentedBytes);
        pool.Return(b);
        Assert.Equal(0, pool.RentedBytes);
        pool.Trim();
    }

    [Fact]
    public void Pool_reuses_returned_blocks_and_keeps_no_more_than_its_retain_limit()
    {
        var pool = new BufferPool { RetainLimitBytes = 1 << 20 };
        var a = pool.Rent(1 << 20);
        var b = pool.Rent(1 << 20);
        pool.Return(a);
        pool.Return(b);                                  // over the limit: freed at once
        Assert.Equal(1 << 20, pool.RetainedBytes);
        Assert.Throws<ObjectDisposedException>(() => { unsafe { _ = (long)b.Pointer; } });
        long allocations = pool.Allocations;
        var again = pool.Rent(1 << 20);
        Assert.Same(a, again);
        Assert.Equal(allocations, pool.Allocations);
        pool.Return(again);
        pool.Trim();
    }
}

/// <summary>Tests reading the process-wide count of OS-mapped bytes: they run alone.</summary>
[CollectionDefinition(nameof(NativeMemoryTests), DisableParallelization = true)]
public sealed class NativeMemoryCollection
{
}

[Collection(nameof(NativeMemoryTests))]
public sealed class NativeMemoryTests
{
    private const int Floats = 1 << 20; // 4 MiB

    [Fact]
    public void Releasing_an_exact_tensor_unmaps_its_memory_at_once()
    {
        long before = CpuStorage.NativeBytes;
        var t = Tensor.EmptyExact(new Shape(Floats + 16)); // not a bucket size: the pool will not keep it
        Assert.True(((CpuStorage)t.Storage).IsNative);
        Assert.True(CpuStorage.NativeBytes - before >= 4L * Floats);
        t.Span.Fill(1f);
        t.Dispose();
        Assert.Equal(before, CpuStorage.NativeBytes);
    }

    [Fact]
    public void Trim_returns_idle_pooled_blocks_to_the_os()
    {
        var pool = new BufferPool();
        long before = CpuStorage.NativeBytes;
        pool.Return(pool.Rent(4L * Floats));
        Assert.True(pool.RetainedBytes >= 4L * Floats);
        Assert.True(CpuStorage.NativeBytes - before >= 4L * Floats);
        pool.Trim();
        Assert.Equal(0, pool.RetainedBytes);
        Assert.Equal(before, CpuStorage.NativeBytes);
    }

    [Fact]
    public void A_tensor_that_is_never_disposed_is_unmapped_once_unreachable()
    {
        long before = CpuStorage.NativeBytes;
        var weak = Leak();
        for (int i = 0; i < 5 && (weak.IsAlive || CpuStorage.NativeBytes != before); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive);
        Assert.Equal(before, CpuStorage.NativeBytes);
    }

    [Fact]
    public void Zeros_in_a_reused_os_mapped_block_are_zero()
    {
        var shape = new Shape(Floats / 4);              // 1 MiB, a bucket size: pooled on release
        using (var dirty = Tensor.Empty(shape)) dirty.Span.Fill(7f);
        using var z = Tensor.Zeros(shape);
        Assert.True(((CpuStorage)z.Storage).IsNative);
        Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Leak()
    {
        var t = Tensor.EmptyExact(new Shape(Floats + 16));
        t.Span.Fill(2f);
        return new WeakReference(t.Storage);
    }
}

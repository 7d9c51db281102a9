// Scoped ownership and buffer pooling: steady-state loops reuse memory.

namespace ExpertMix.Tensors.Tests;

public class TensorScopeTests
{
    [Fact]
    public void Scope_disposes_what_it_created_except_kept_tensors()
    {
        Tensor inner, kept;
        using (var scope = TensorScope.Begin())
        {
            inner = Tensor.Zeros(new Shape(4));
            kept = scope.Keep(Tensor.Ones(new Shape(4)));
            Assert.Equal(1, scope.Count);
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(4f, kept.ToArray().Sum());
        kept.Dispose();
    }

    [Fact]
    public void Nested_scopes_must_end_in_order()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
        Assert.Null(TensorScope.Current);
    }

    [Fact]
    public void Steady_state_loop_allocates_no_new_buffers()
    {
        var shape = new Shape(1000, 37);
        for (int warm = 0; warm < 2; warm++)
        {
            using var s = TensorScope.Begin();
            _ = Tensor.Empty(shape);
            _ = Tensor.Empty(shape);
        }
        long before = BufferPool.Shared.Allocations;
        for (int step = 0; step < 50; step++)
        {
            using var s = TensorScope.Begin();
            _ = Tensor.Empty(shape);
            _ = Tensor.Empty(shape);
        }
        // Other tests may allocate concurrently; this loop alone needs no new arrays once warm.
        Assert.True(BufferPool.Shared.Allocations - before < 50, "pooled buffers were not reused");
    }

    [Fact]
    public void Bucket_sizes_waste_at_most_a_quarter()
    {
        for (long n = 1; n < 1 << 22; n = n * 3 / 2 + 1)
        {
            long b = BufferPool.BucketSize(n);
            Assert.True(b >= n);
            Assert.True(b <= Math.Max(256, n * 1.25 + 1), $"bucket {b} for {n}");
            Assert.Equal(b, BufferPool.BucketSize(b));
        }
    }

    [Fact]
    public unsafe void Cpu_buffers_are_64_byte_aligned()
    {
        for (int n = 1; n < 300; n += 17)
        {
            using var t = Tensor.Empty(new Shape(n));
            Assert.Equal(0, (long)t.RawPointer % 64);
        }
    }
}

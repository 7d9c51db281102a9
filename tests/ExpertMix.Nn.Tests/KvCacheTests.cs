// KV cache bookkeeping and in-place attention over its views.
using ExpertMix.Testing;
using ExpertMix.Tensors;

namespace ExpertMix.Nn.Tests;

public class KvCacheTests
{
    [Fact]
    public void Append_writes_at_the_current_length_and_returns_the_filled_prefix()
    {
        using var cache = new KvCache(layers: 2, batch: 1, kvHeads: 2, maxLength: 8, headDim: 4);
        var rng = new Rng(3);
        using var k1 = Tensor.Randn(new Shape(1, 2, 3, 4), rng);
        using var v1 = Tensor.Randn(new Shape(1, 2, 3, 4), rng);
        var (k, v) = cache.Append(0, k1, v1);
        using (k)
        using (v)
        {
            Assert.Equal(new Shape(1, 2, 3, 4), k.Shape);
            Assert.Equal(k1.ToArray(), k.Contiguous().ToArray());
        }
        Assert.Equal(0, cache.Length);
        cache.Advance(3);
        using var k2 = Tensor.Randn(new Shape(1, 2, 1, 4), rng);
        var (kk, vv) = cache.Append(0, k2, k2);
        using (kk)
        using (vv)
        {
            Assert.Equal(new Shape(1, 2, 4, 4), kk.Shape);
            using var last = kk.Narrow(2, 3, 1);
            Assert.Equal(k2.ToArray(), last.Contiguous().ToArray());
        }
        cache.Advance(1);
        Assert.Throws<InvalidOperationException>(() => cache.Append(1, Tensor.Zeros(new Shape(1, 2, 5, 4)), Tensor.Zeros(new Shape(1, 2, 5, 4))));
        Assert.Throws<ArgumentException>(() => cache.Append(1, Tensor.Zeros(new Shape(1, 3, 1, 4)), Tensor.Zeros(new Shape(1, 3, 1, 4))));
    }

    [Fact]
    public void A_bf16_cache_holds_half_the_bytes_and_rounds_appended_values_to_nearest_even_bf16()
    {
        using var f32 = new KvCache(layers: 2, batch: 1, kvHeads: 2, maxLength: 8, headDim: 4);
        using var cache = new KvCache(layers: 2, batch: 1, kvHeads: 2, maxLength: 8, headDim: 4, DType.BF16);
        Assert.Equal(DType.BF16, cache.DType);
        Assert.Equal(f32.Bytes, 2 * cache.Bytes);
        var rng = new Rng(4);
        using var k = Tensor.Randn(new Shape(1, 2, 3, 4), rng);
        using var v = Tensor.Randn(new Shape(1, 2, 3, 4), rng);
        var (ck, cv) = cache.Append(1, k, v);
        using (ck)
        using (cv)
        {
            Assert.Equal(DType.BF16, ck.DType);
            using var kb = k.To(DType.BF16);
            using var vb = v.To(DType.BF16);
            Assert.Equal(kb.Contiguous().AsSpan<ushort>().ToArray(), ck.Contiguous().AsSpan<ushort>().ToArray());
            Assert.Equal(vb.Contiguous().AsSpan<ushort>().ToArray(), cv.Contiguous().AsSpan<ushort>().ToArray());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(1, 1, 1, 4, 4, DType.F16));
    }

    [Fact]
    public void Reset_lets_one_cache_serve_a_new_sequence_from_position_zero()
    {
        using var cache = new KvCache(layers: 1, batch: 1, kvHeads: 2, maxLength: 5, headDim: 3);
        var rng = new Rng(11);
        using var first = Tensor.Randn(new Shape(1, 2, 5, 3), rng);
        var (k0, v0) = cache.Append(0, first, first);
        k0.Dispose();
        v0.Dispose();
        cache.Advance(5);
        long bytes = cache.Bytes;

        cache.Reset();
        Assert.Equal(0, cache.Length);
        Assert.Equal(bytes, cache.Bytes);
        using var second = Tensor.Randn(new Shape(1, 2, 2, 3), rng);
        var (k, v) = cache.Append(0, second, second);   // the full capacity is available again
        using (k)
        using (v)
        {
            Assert.Equal(new Shape(1, 2, 2, 3), k.Shape);
            Assert.Equal(second.ToArray(), k.Contiguous().ToArray());
            Assert.Equal(second.ToArray(), v.Contiguous().ToArray());
        }
        cache.Advance(2);
        Assert.Equal(2, cache.Length);
    }

    [Fact]
    public void Appending_keys_that_require_grad_fails_instead_of_silently_cutting_the_gradient()
    {
        using var cache = new KvCache(1, 1, 1, 4, 2);
        using var k = Tensor.Zeros(new Shape(1, 1, 1, 2));
        k.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => cache.Append(0, k, k));
        Assert.Contains("gradient", e.Message);
        using (Autograd.NoGrad())
        {
            var (a, b) = cache.Append(0, k, k);
            a.Dispose();
            b.Dispose();
        }
    }

    [Theory]
    [InlineData(1, 4, 2, 1)]
    [InlineData(2, 4, 1, 1)]
    [InlineData(2, 6, 3, 3)]
    public void Attention_over_cache_views_is_bit_identical_to_attention_over_dense_copies(int batch, int heads, int kvHeads, int t)
    {
        const int dh = 8, past = 5, max = 16;
        var rng = new Rng(11);
        using var cache = new KvCache(1, batch, kvHeads, max, dh);
        using (var k0 = Tensor.Randn(new Shape(batch, kvHeads, past, dh), rng))
        using (var v0 = Tensor.Randn(new Shape(batch, kvHeads, past, dh), rng))
        {
            var (a, b) = cache.Append(0, k0, v0);
            a.Dispose();
            b.Dispose();
            cache.Advance(past);
        }
        using var q = Tensor.Randn(new Shape(batch, heads, t, dh), rng);
        using var kn = Tensor.Randn(new Shape(batch, kvHeads, t, dh), rng);
        using var vn = Tensor.Randn(new Shape(batch, kvHeads, t, dh), rng);
        using var mask = Tensor.Zeros(new Shape(batch, 1, 1, past + t));
        mask.Span[0] = float.MinValue;
        var (kv, vv) = cache.Append(0, kn, vn);
        using (kv)
        using (vv)
        {
            Assert.False(kv.IsContiguous && batch * kvHeads > 1);
            using var inPlace = Ops.ScaledDotProductAttention(q, kv, vv, mask);
            using var kd = kv.Contiguous();
            using var vd = vv.Contiguous();
            using var dense = Ops.ScaledDotProductAttention(q, kd, vd, mask);
            TensorAssert.BitEqual(dense.ToArray(), inPlace.ToArray(), "attention over cache views vs dense copies");
        }
    }
}

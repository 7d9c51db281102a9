// A bf16 KV cache: the attention forward over bf16 keys/values equals the f32 forward over the widened values, bit for bit.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Testing;
using static ExpertMix.Tensors.Tests.NnTestUtil;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public sealed class AttentionBf16KvTests
{
    [Fact]
    [Trait("Category", "Kernels")]
    public void Decode_rows_over_bf16_keys_equal_the_f32_rows_over_the_widened_keys_at_every_length_up_to_256()
    {
        // One query row per head (KV-cache decode), GQA 4:2, two sequences, padded head stride; every key count 0..256 and
        // head dims with and without a Vector512 tail and below 16 (the non-blocked path); the SIMD and the scalar twin.
        var rng = new Rng(81);
        foreach (int dh in new[] { 8, 64, 80 })
        {
            for (int s = 0; s <= 256; s++)
            {
                var c = KvCase.Random(rng, b: 2, h: 4, hkv: 2, t: 1, s, dh, kvPad: 3);
                foreach (bool simd in new[] { true, false })
                {
                    var (o32, l32) = c.RunF32(causal: true, simd, rows: true);
                    var (o16, l16) = c.RunBf16(causal: true, simd);
                    TensorAssert.BitEqual(o32, o16, $"o dh={dh} s={s} simd={simd}");
                    TensorAssert.BitEqual(l32, l16, $"lse dh={dh} s={s} simd={simd}");
                }
            }
        }
    }

    [Theory]
    [Trait("Category", "Kernels")]
    [InlineData(4, 4, 64, true)]
    [InlineData(17, 47, 64, true)]
    [InlineData(64, 64, 128, false)]
    [InlineData(6, 300, 80, true)]
    public void Prefill_over_bf16_keys_equals_the_f32_forward_over_the_widened_keys(int t, int s, int dh, bool causal)
    {
        // Several query rows: the tiled kernel where it applies (it runs on widened copies), the row kernel otherwise.
        var c = KvCase.Random(new Rng((ulong)(82 + t + s)), b: 2, h: 4, hkv: 1, t, s, dh, kvPad: 5);
        foreach (bool simd in new[] { true, false })
        {
            var (o32, l32) = c.RunF32(causal, simd, rows: false);
            var (o16, l16) = c.RunBf16(causal, simd);
            TensorAssert.BitEqual(o32, o16, $"o t={t} s={s} simd={simd}");
            TensorAssert.BitEqual(l32, l16, $"lse t={t} s={s} simd={simd}");
        }
    }

    [Fact]
    public void Sdpa_reads_a_bf16_cache_view_in_place_and_matches_f32_views_of_the_rounded_values()
    {
        var rng = new Rng(83);
        int b = 1, h = 4, hkv = 2, smax = 40, s = 33, dh = 64;
        using var q = Randn(rng, b, h, 1, dh);
        using var full32 = Randn(rng, b, hkv, smax, dh);
        using var full16 = full32.To(DType.BF16);
        using var rounded = full16.To(DType.F32);
        using var k16 = full16.Narrow(2, 0, s);
        using var k32 = rounded.Narrow(2, 0, s);
        using var o16 = Ops.ScaledDotProductAttention(q, k16, k16, causal: true);
        using var o32 = Ops.ScaledDotProductAttention(q, k32, k32, causal: true);
        Assert.Equal(DType.F32, o16.DType);
        TensorAssert.BitEqual(o32.Span.ToArray(), o16.Span.ToArray(), "sdpa over a bf16 cache view");
    }

    private sealed record KvCase(int B, int H, int Hkv, int T, int S, int Dh, int KvPad, float[] Q, ushort[] K, ushort[] V)
    {
        public static KvCase Random(Rng rng, int b, int h, int hkv, int t, int s, int dh, int kvPad)
        {
            long kvLen = (long)b * hkv * (s + kvPad) * dh;
            return new KvCase(b, h, hkv, t, s, dh, kvPad, RandomArray(rng, b * h * t * dh), Bits(RandomArray(rng, (int)kvLen)), Bits(RandomArray(rng, (int)kvLen)));
        }

        private static ushort[] Bits(float[] x)
        {
            var bits = new ushort[x.Length];
            Kernels.Convert.F32ToBf16(x, bits);
            return bits;
        }

        private static float[] Widen(ushort[] bits)
        {
            var x = new float[bits.Length];
            Kernels.Convert.Bf16ToF32Scalar(bits, x);
            return x;
        }

        private unsafe AttentionArgs Args(bool causal) =>
            new(B, H, Hkv, T, S, Dh, 1f / MathF.Sqrt(Dh), causal, null, 1, 1, T, (long)(S + KvPad) * Dh);

        public unsafe (float[] O, float[] Lse) RunF32(bool causal, bool simd, bool rows)
        {
            var o = new float[Math.Max(1, Q.Length)];
            var lse = new float[Math.Max(1, B * H * T)];
            var k = Widen(K);
            var v = Widen(V);
            fixed (float* qp = Q, kp = k, vp = v, op = o, lp = lse)
            {
                if (rows) AttentionKernels.ForwardRows(Args(causal), qp, kp, vp, op, lp, simd);
                else AttentionKernels.Forward(Args(causal), qp, kp, vp, op, lp, simd);
            }
            return (o, lse);
        }

        public unsafe (float[] O, float[] Lse) RunBf16(bool causal, bool simd)
        {
            var o = new float[Math.Max(1, Q.Length)];
            var lse = new float[Math.Max(1, B * H * T)];
            fixed (float* qp = Q, op = o, lp = lse)
            fixed (ushort* kp = K, vp = V)
            {
                AttentionKernels.ForwardBf16Kv(Args(causal), qp, kp, vp, op, lp, simd);
            }
            return (o, lse);
        }
    }
}

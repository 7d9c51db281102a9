// Causal GQA attention: SIMD vs scalar kernels, double-reference gradient checks (GQA, MQA, offsets, masks), decode, threads.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Testing;
using static ExpertMix.Tensors.Tests.NnTestUtil;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public class AttentionTests
{
    public enum MaskKind
    {
        None,
        LeftPadding,
        PerHeadRandom,
    }

    [Theory]
    [InlineData(1, 4, 2, 3, 5, 8, true, MaskKind.None)] // GQA, queries are the last 3 of 5 positions
    [InlineData(2, 2, 1, 3, 5, 4, true, MaskKind.LeftPadding)] // MQA with a left-padding mask [B, 1, T, S]
    [InlineData(1, 3, 3, 1, 6, 8, true, MaskKind.None)] // T = 1 decode at offset 5
    [InlineData(2, 4, 2, 3, 3, 6, false, MaskKind.PerHeadRandom)] // non-causal, additive mask [1, H, T, S]
    [InlineData(1, 2, 2, 4, 4, 5, true, MaskKind.PerHeadRandom)] // causal plus mask, T = S
    public void Attention_backward_matches_finite_differences(int b, int h, int hkv, int t, int s, int dh, bool causal, MaskKind maskKind)
    {
        var rng = new Rng((ulong)(31 + b * 7 + h * 5 + t * 3 + s));
        using var q = Randn(rng, b, h, t, dh);
        using var k = Randn(rng, b, hkv, s, dh);
        using var v = Randn(rng, b, hkv, s, dh);
        using var mask = MakeMask(rng, maskKind, b, h, t, s);
        Tensor[] inputs = mask is null ? [q, k, v] : [q, k, v, mask];
        bool[] diff = mask is null ? [true, true, true] : [true, true, true, false];
        int mb = mask?.Size(0) ?? 1, mh = mask?.Size(1) ?? 1;
        double scale = 1 / Math.Sqrt(dh);
        GradCheck.Check($"SDPA b{b} h{h} hkv{hkv} t{t} s{s} causal={causal} {maskKind}",
            a => Ops.ScaledDotProductAttention(a[0], a[1], a[2], a.Length > 3 ? a[3] : null, causal),
            x => AttentionRef(x[0], x[1], x[2], x.Length > 3 ? x[3] : null, b, h, hkv, t, s, dh, causal, scale, mb, mh),
            inputs, diff);
    }

    [Fact]
    public void Attention_explicit_scale_is_used()
    {
        var rng = new Rng(32);
        using var q = Randn(rng, 1, 2, 2, 4);
        using var k = Randn(rng, 1, 2, 3, 4);
        using var v = Randn(rng, 1, 2, 3, 4);
        using var y = Ops.ScaledDotProductAttention(q, k, v, null, causal: true, scale: 0.3f);
        var expected = AttentionRef(q.ToDoubleArray(), k.ToDoubleArray(), v.ToDoubleArray(), null, 1, 2, 2, 2, 3, 4, true, 0.3, 1, 1);
        TensorAssert.Close(expected, y.ToDoubleArray(), 1e-5, 0, "explicit scale");
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Attention_simd_matches_scalar_twin_for_every_key_count_and_head_dim()
    {
        var rng = new Rng(33);
        for (int s = 1; s <= 256; s++) CompareTwins(rng, 1, 2, 1, 1, s, s % 2 == 0 ? 20 : 8, causal: true, withMask: s % 3 == 0);
        for (int dh = 0; dh <= 130; dh++) CompareTwins(rng, 1, 4, 2, 3, 5, dh, causal: true, withMask: dh % 2 == 0);
        CompareTwins(rng, 2, 4, 4, 7, 7, 16, causal: false, withMask: true);
    }

    [Fact]
    public void Attention_decode_step_matches_last_row_of_full_sequence()
    {
        var rng = new Rng(34);
        const int b = 2, h = 4, hkv = 2, s = 9, dh = 16;
        using var q = Randn(rng, b, h, s, dh);
        using var k = Randn(rng, b, hkv, s, dh);
        using var v = Randn(rng, b, hkv, s, dh);
        using var full = Ops.ScaledDotProductAttention(q, k, v);
        using var qLast = q.Narrow(2, s - 1, 1);
        using var step = Ops.ScaledDotProductAttention(qLast, k, v);
        using var fullLast = full.Narrow(2, s - 1, 1);
        // The full sequence (T ≥ AttentionKernels.MinTiledRows) runs the tiled prefill kernel and the step the row kernel:
        // the same row softmax, with the q·k dots and the P·V sums reassociated, so equal to fp32 rounding.
        RowScaledClose(fullLast.ToArray(), step.ToArray(), 1e-5, "decode step vs full sequence");
        using var q2 = q.Narrow(2, s - 3, 3);
        using var chunk = Ops.ScaledDotProductAttention(q2, k, v);
        using var fullChunk = full.Narrow(2, s - 3, 3);
        RowScaledClose(fullChunk.ToArray(), chunk.ToArray(), 1e-5, "chunked prefill vs full sequence");
    }

    [Fact]
    public void Attention_row_with_every_key_masked_out_is_nan_like_torch()
    {
        var rng = new Rng(35);
        using var q = Randn(rng, 1, 1, 2, 4);
        using var k = Randn(rng, 1, 1, 2, 4);
        using var v = Randn(rng, 1, 1, 2, 4);
        float ninf = float.NegativeInfinity;
        using var mask = Tensor.FromArray([ninf, 0f, ninf, 0f], new Shape(1, 1, 2, 2));
        var y = Ops.ScaledDotProductAttention(q, k, v, mask).ToArray();
        for (int d = 0; d < 4; d++) Assert.True(float.IsNaN(y[d]), "row 0 sees only key 0, which is masked");
        var vs = v.ToArray();
        for (int d = 0; d < 4; d++) Assert.Equal(vs[4 + d], y[4 + d]); // row 1: only key 1 visible → o = v₁
    }

    [Fact]
    public void Attention_rejects_inconsistent_shapes()
    {
        using var q = Tensor.Zeros(new Shape(1, 3, 2, 4));
        using var k = Tensor.Zeros(new Shape(1, 2, 2, 4));
        using var k1 = Tensor.Zeros(new Shape(1, 1, 1, 4));
        using var badMask = Tensor.Zeros(new Shape(1, 2, 2, 1));
        Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, k, k));
        Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, k1, k1));
        Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, k1, k1, badMask, causal: false));
    }

    [Fact]
    public void Attention_is_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(36);
        const int b = 2, h = 6, hkv = 3, t = 17, s = 21, dh = 32;
        using var q = Randn(rng, b, h, t, dh);
        using var k = Randn(rng, b, hkv, s, dh);
        using var v = Randn(rng, b, hkv, s, dh);
        using var g = Randn(rng, b, h, t, dh);
        SameForAnyThreadCount(() =>
        {
            using var ql = q.Clone();
            using var kl = k.Clone();
            using var vl = v.Clone();
            ql.RequiresGrad = kl.RequiresGrad = vl.RequiresGrad = true;
            using var y = Ops.ScaledDotProductAttention(ql, kl, vl);
            y.Backward(g);
            return [y.ToArray(), ql.Grad!.ToArray(), kl.Grad!.ToArray(), vl.Grad!.ToArray()];
        }, "SDPA");
    }

    private static Tensor? MakeMask(Rng rng, MaskKind kind, int b, int h, int t, int s)
    {
        switch (kind)
        {
            case MaskKind.LeftPadding:
                {
                    // Batch element i has i padded (masked) leading key positions: 0 keeps, −∞ drops.
                    var m = new float[b * t * s];
                    for (int bi = 0; bi < b; bi++)
                    {
                        for (int ti = 0; ti < t; ti++)
                        {
                            for (int si = 0; si < bi && si < s; si++) m[(bi * t + ti) * s + si] = float.NegativeInfinity;
                        }
                    }
                    return Tensor.FromArray(m, new Shape(b, 1, t, s));
                }
            case MaskKind.PerHeadRandom:
                return Tensor.FromArray(RandomArray(rng, h * t * s), new Shape(1, h, t, s));
            default:
                return null;
        }
    }

    private static unsafe void CompareTwins(Rng rng, int b, int h, int hkv, int t, int s, int dh, bool causal, bool withMask)
    {
        var q = RandomArray(rng, b * h * t * dh);
        var k = RandomArray(rng, b * hkv * s * dh);
        var v = RandomArray(rng, b * hkv * s * dh);
        var dO = RandomArray(rng, b * h * t * dh);
        var mask = withMask ? RandomArray(rng, b * h * t * s) : null;
        var results = new float[2][][];
        for (int pass = 0; pass < 2; pass++)
        {
            bool simd = pass == 1;
            var o = new float[q.Length];
            var lse = new float[b * h * t];
            var dq = new float[q.Length];
            var dk = new float[k.Length];
            var dv = new float[v.Length];
            fixed (float* qp = q, kp = k, vp = v, dOp = dO, mp = mask, op = o, lp = lse, dqp = dq, dkp = dk, dvp = dv)
            {
                var a = new AttentionArgs(b, h, hkv, t, s, dh, 1f / MathF.Sqrt(Math.Max(1, dh)), causal, mp, b, h);
                AttentionKernels.Forward(a, qp, kp, vp, op, lp, simd);
                AttentionKernels.Backward(a, qp, kp, vp, op, lp, dOp, dqp, dkp, dvp, simd);
            }
            results[pass] = [o, lse, dq, dk, dv];
        }
        string[] names = ["o", "lse", "dq", "dk", "dv"];
        for (int i = 0; i < names.Length; i++)
        {
            RowScaledClose(results[0][i], results[1][i], i < 2 ? 2e-6 : 1e-5, $"attention {names[i]} b{b} h{h} hkv{hkv} t{t} s{s} dh{dh}");
        }
    }

    /// <summary>Explicit double-precision softmax(q·kᵀ·scale + mask + causal)·v with GQA head mapping.</summary>
    internal static double[] AttentionRef(double[] q, double[] k, double[] v, double[]? mask, int b, int h, int hkv, int t, int s, int dh,
        bool causal, double scale, int maskB, int maskH)
    {
        var o = new double[b * h * t * dh];
        var sc = new double[s];
        int group = h / hkv;
        for (int bi = 0; bi < b; bi++)
        {
            for (int hi = 0; hi < h; hi++)
            {
                int kv = (bi * hkv + hi / group) * s * dh;
                for (int ti = 0; ti < t; ti++)
                {
                    int qo = ((bi * h + hi) * t + ti) * dh;
                    double max = double.NegativeInfinity;
                    for (int si = 0; si < s; si++)
                    {
                        double dot = 0;
                        for (int d = 0; d < dh; d++) dot += q[qo + d] * k[kv + si * dh + d];
                        double x = dot * scale;
                        if (mask is not null) x += mask[(((maskB == 1 ? 0 : bi) * maskH + (maskH == 1 ? 0 : hi)) * t + ti) * s + si];
                        if (causal && si > s - t + ti) x = double.NegativeInfinity;
                        sc[si] = x;
                        max = Math.Max(max, x);
                    }
                    double sum = 0;
                    for (int si = 0; si < s; si++) sum += sc[si] = Math.Exp(sc[si] - max);
                    for (int si = 0; si < s; si++)
                    {
                        for (int d = 0; d < dh; d++) o[qo + d] += sc[si] / sum * v[kv + si * dh + d];
                    }
                }
            }
        }
        return o;
    }
}

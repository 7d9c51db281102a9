// Tiled prefill attention forward vs the scalar row reference: shapes, GQA, mask broadcasts, padding rows, KV views, NaN, threads.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Testing;
using Xunit.Sdk;
using static ExpertMix.Tensors.Tests.NnTestUtil;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public class AttentionTiledForwardTests
{
    /// <summary>Additive mask layouts [Bm, Hm, Tm, S] exercised against the reference.</summary>
    public enum MaskForm
    {
        None,
        PaddingKeys, // [B, 1, 1, S]: float.MinValue on the first keys of batch 1
        PaddingRowsAndKeys, // [B, 1, T, S]: batch 1 has float.MinValue padding query rows and padded keys
        PerHead, // [1, H, T, S] random
        Full, // [B, H, T, S] random with some −∞
    }

    private static readonly int[] s_rows = [1, 2, 7, 16, 17, 63, 64, 65, 200];
    private static readonly int[] s_headDims = [8, 64, 80, 128];

    [Fact]
    [Trait("Category", "Kernels")]
    public void Tiled_forward_matches_the_scalar_row_reference_for_every_shape_mask_form_and_causality()
    {
        var rng = new Rng(71);
        int n = 0;
        foreach (int t in s_rows)
        {
            foreach (int dh in s_headDims)
            {
                // Rotate GQA layouts, key counts, mask forms and causality so every pair appears across the sweep.
                (int h, int hkv) = (n % 3) switch { 0 => (4, 2), 1 => (3, 3), _ => (4, 1) };
                int s = t + (n % 4) switch { 0 => 0, 1 => 1, 2 => 5, _ => 70 };
                var form = (MaskForm)(n % 5);
                bool causal = n % 2 == 0 || form == MaskForm.PaddingRowsAndKeys;
                Compare(rng, 2, h, hkv, t, s, dh, causal, form, kvPad: 0);
                Compare(rng, 1, h, hkv, t, s, dh, !causal, (MaskForm)((n + 2) % 5), kvPad: 0);
                n++;
            }
        }
    }

    [Theory]
    [Trait("Category", "Kernels")]
    [InlineData(64, 64, 64)]
    [InlineData(33, 97, 128)]
    [InlineData(6, 1030, 64)]
    public void Tiled_forward_reads_a_kv_cache_view_with_a_padded_head_stride(int t, int s, int dh)
    {
        var rng = new Rng((ulong)(72 + t));
        Compare(rng, 2, 8, 2, t, s, dh, causal: true, MaskForm.PaddingKeys, kvPad: 37);
    }

    [Theory]
    [Trait("Category", "Kernels")]
    [InlineData(20, 10)]
    [InlineData(13, 1)]
    public void Tiled_forward_matches_the_reference_when_causal_rows_see_no_keys(int t, int s)
    {
        // Kernel level only (the op rejects causal T > S): the first T − S rows have limit ≤ 0 (o = 0, lse = −∞).
        var rng = new Rng((ulong)(76 + t));
        Compare(rng, 1, 2, 1, t, s, 64, causal: true, MaskForm.None, kvPad: 0);
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Tiled_forward_is_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(73);
        int saved = Engine.Threads;
        try
        {
            foreach (var (t, s, dh, form) in new[] { (65, 70, 64, MaskForm.Full), (200, 200, 80, MaskForm.None), (17, 17, 128, MaskForm.PaddingRowsAndKeys) })
            {
                var c = Case.Make(rng, 2, 4, 2, t, s, dh, form, kvPad: 0);
                float[]? o1 = null, l1 = null;
                foreach (int threads in new[] { 1, 2, 3, 5 })
                {
                    Engine.Threads = threads;
                    var (o, lse) = c.Run(causal: true, simd: true, rows: false);
                    if (o1 is null)
                    {
                        (o1, l1) = (o, lse);
                        continue;
                    }
                    TensorAssert.BitEqual(o1, o, $"o threads {threads} t{t} s{s} dh{dh}");
                    TensorAssert.BitEqual(l1, lse, $"lse threads {threads} t{t} s{s} dh{dh}");
                }
            }
        }
        finally
        {
            Engine.Threads = saved;
        }
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Tiled_forward_propagates_nan_like_the_reference_and_keeps_future_values_out_of_earlier_rows()
    {
        var rng = new Rng(74);
        var c = Case.Make(rng, 1, 2, 1, 20, 20, 64, MaskForm.None, kvPad: 0);
        c.Q[(1 * 20 + 3) * 64 + 5] = float.NaN; // head 1, query 3
        c.V[15 * 64 + 2] = float.NaN; // key 15: only queries ≥ 15 see it (causal)
        c.K[18 * 64 + 7] = float.PositiveInfinity; // key 18: queries ≥ 18 get ±∞ scores
        var (eo, el) = c.Run(causal: true, simd: false, rows: true);
        var (ao, al) = c.Run(causal: true, simd: true, rows: false);
        NanAwareClose(eo, ao, 1e-5, "o with NaN/∞ inputs");
        NanAwareClose(el, al, 1e-5, "lse with NaN/∞ inputs");
        Assert.True(float.IsNaN(ao[(1 * 20 + 3) * 64]), "the NaN query row is NaN");
        Assert.True(float.IsFinite(ao[(0 * 20 + 14) * 64 + 2]), "a row before the NaN value row stays finite");
        Assert.True(float.IsNaN(ao[(0 * 20 + 15) * 64 + 2]), "the rows that see the NaN value are NaN");
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Tiled_forward_keeps_fully_masked_padding_rows_finite()
    {
        var rng = new Rng(75);
        var c = Case.Make(rng, 2, 2, 2, 24, 24, 64, MaskForm.PaddingRowsAndKeys, kvPad: 0);
        var (o, lse) = c.Run(causal: true, simd: true, rows: false);
        Assert.All(o, x => Assert.True(float.IsFinite(x)));
        Assert.All(lse, x => Assert.True(float.IsFinite(x)));
    }

    /// <summary>Row-scaled 1e-5 closeness (scale = max finite |e|); NaN and infinities must sit at the same indices.</summary>
    private static void NanAwareClose(float[] expected, float[] actual, double tol, string what)
    {
        double scale = 0;
        foreach (var e in expected)
        {
            if (float.IsFinite(e)) scale = Math.Max(scale, Math.Abs(e));
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (e.Equals(a)) continue;
            if (!double.IsFinite(e) || !double.IsFinite(a) || Math.Abs(e - a) > tol * Math.Max(scale, Math.Max(Math.Abs(e), Math.Abs(a))))
            {
                throw new XunitException(TensorAssert.Report(Array.ConvertAll(expected, x => (double)x), Array.ConvertAll(actual, x => (double)x), $"{what}: error above {tol:g3} (row-scaled) or NaN/∞ mismatch at index {i}"));
            }
        }
    }

    private static void Compare(Rng rng, int b, int h, int hkv, int t, int s, int dh, bool causal, MaskForm form, int kvPad)
    {
        var c = Case.Make(rng, b, h, hkv, t, s, dh, form, kvPad);
        string what = $"b{b} h{h} hkv{hkv} t{t} s{s} dh{dh} causal={causal} mask={form} kvPad={kvPad}";
        var (eo, el) = c.Run(causal, simd: false, rows: true);
        var (ao, al) = c.Run(causal, simd: true, rows: false);
        NanAwareClose(eo, ao, 1e-5, "o " + what);
        NanAwareClose(el, al, 1e-5, "lse " + what);
        var (ro, rl) = c.Run(causal, simd: true, rows: true);
        NanAwareClose(ro, ao, 1e-5, "o vs simd rows " + what);
        NanAwareClose(rl, al, 1e-5, "lse vs simd rows " + what);
        if (form is MaskForm.PaddingKeys or MaskForm.PaddingRowsAndKeys)
        {
            if (!Array.TrueForAll(ao, float.IsFinite)) throw new XunitException($"{what}: float.MinValue padding gave a non-finite output");
        }
    }

    private sealed class Case
    {
        private Case(int b, int h, int hkv, int t, int s, int dh, int kvPad, float[] q, float[] k, float[] v, float[]? mask, int maskB, int maskH, int maskT)
        {
            (B, H, Hkv, T, S, Dh, KvPad, Q, K, V, Mask, MaskB, MaskH, MaskT) = (b, h, hkv, t, s, dh, kvPad, q, k, v, mask, maskB, maskH, maskT);
        }

        public int B { get; }
        public int H { get; }
        public int Hkv { get; }
        public int T { get; }
        public int S { get; }
        public int Dh { get; }
        public int KvPad { get; }
        public float[] Q { get; }
        public float[] K { get; }
        public float[] V { get; }
        public float[]? Mask { get; }
        public int MaskB { get; }
        public int MaskH { get; }
        public int MaskT { get; }

        public static Case Make(Rng rng, int b, int h, int hkv, int t, int s, int dh, MaskForm form, int kvPad)
        {
            long headStride = (long)(s + kvPad) * dh;
            var q = RandomArray(rng, b * h * t * dh);
            var k = RandomArray(rng, (int)(b * hkv * headStride));
            var v = RandomArray(rng, (int)(b * hkv * headStride));
            (int mb, int mh, int mt) = form switch
            {
                MaskForm.PaddingKeys => (b, 1, 1),
                MaskForm.PaddingRowsAndKeys => (b, 1, t),
                MaskForm.PerHead => (1, h, t),
                MaskForm.Full => (b, h, t),
                _ => (1, 1, 1),
            };
            float[]? mask = null;
            if (form != MaskForm.None)
            {
                mask = RandomArray(rng, mb * mh * mt * s);
                if (form == MaskForm.Full)
                {
                    for (int i = 0; i < mask.Length; i += 7) mask[i] = float.NegativeInfinity;
                }
                if (form is MaskForm.PaddingKeys or MaskForm.PaddingRowsAndKeys)
                {
                    Array.Clear(mask);
                    int pad = Math.Min(s, Math.Max(1, t / 3));
                    for (int bi = 1; bi < mb; bi++)
                    {
                        for (int ti = 0; ti < mt; ti++)
                        {
                            for (int si = 0; si < s; si++)
                            {
                                // Padded keys are masked for every row; padded query rows (mt = T) are masked entirely.
                                bool padRow = mt > 1 && ti < pad;
                                if (padRow || si < pad) mask[((bi * mt) + ti) * s + si] = float.MinValue;
                            }
                        }
                    }
                }
            }
            return new Case(b, h, hkv, t, s, dh, kvPad, q, k, v, mask, mb, mh, mt);
        }

        public unsafe (float[] O, float[] Lse) Run(bool causal, bool simd, bool rows)
        {
            var o = new float[Q.Length];
            var lse = new float[B * H * T];
            fixed (float* qp = Q, kp = K, vp = V, mp = Mask, op = o, lp = lse)
            {
                var a = new AttentionArgs(B, H, Hkv, T, S, Dh, 1f / MathF.Sqrt(Dh), causal, mp, MaskB, MaskH, MaskT, (long)(S + KvPad) * Dh);
                if (!rows && simd && T >= AttentionKernels.MinTiledRows && Dh % 16 == 0) Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, AttentionKernels.CanTile(a));
                if (rows) AttentionKernels.ForwardRows(a, qp, kp, vp, op, lp, simd);
                else AttentionKernels.Forward(a, qp, kp, vp, op, lp, simd);
            }
            return (o, lse);
        }
    }
}

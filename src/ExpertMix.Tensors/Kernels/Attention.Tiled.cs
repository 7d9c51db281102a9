// Tiled attention forward for prefill: 6 query rows per unit, QKᵀ and P·V through AVX-512 register tiles, exact row softmax.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

internal static unsafe partial class AttentionKernels
{
    /// <summary>Fewest query rows for which <see cref="Forward"/> takes the tiled path (decode keeps the row kernel).</summary>
    internal const int MinTiledRows = 4;

    /// <summary>Largest packed-key buffer (floats, 64 MiB) kept for reuse between calls; bigger ones are left to the GC.</summary>
    private const long MaxCachedKeyPanels = 16L << 20;

    private static GemmBuffer? s_keyPanels;

    [ThreadStatic]
    private static GemmBuffer? t_tileScratch;

    /// <summary>Whether the SIMD forward of <paramref name="a"/> runs <see cref="ForwardTiled"/>: AVX-512, T ≥ <see cref="MinTiledRows"/>, Dh a positive multiple of 16.</summary>
    internal static bool CanTile(AttentionArgs a) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && a.T >= MinTiledRows && a.S > 0 && a.Dh > 0 && a.Dh % 16 == 0 && a.B * a.H > 0;

    /// <summary>
    /// Same contract as the row forward, reorganised for reuse: kᵀ is packed once per (b, kv head) into 64-key panels
    /// [S/64][Dh][64]; a unit of 6 query rows of one (b, h) computes its score rows sᵢₛ = (qᵢ·kₛ)·scale (one FMA chain
    /// over d per score) for the keys up to its largest causal limit (rounded to 16), adds the mask row, takes
    /// mᵢ = max over exactly the visible keys, eᵢₛ = exp(sᵢₛ − mᵢ) (<see cref="ExpNonPositive"/>), Σᵢ = Σₛ eᵢₛ,
    /// lseᵢ = mᵢ + log Σᵢ, and oᵢ = (Σₛ eᵢₛ vₛ)·(1/Σᵢ) in key order (one FMA chain per element: keys visible to all six
    /// rows through the 6×64 tile, the causal remainder per row). Differs from the row kernel only by fp32
    /// reassociation (dots, exp approximation, where 1/Σ is applied). Masked (−∞) keys weigh 0; a row whose visible
    /// scores are all −∞, or that contains NaN, gives NaN as in the row kernel; float.MinValue padding rows stay finite.
    /// Each output row is written by one thread, so results do not depend on <see cref="Engine.Threads"/>.
    /// Requires <see cref="CanTile"/>.
    /// </summary>
    internal static void ForwardTiled(AttentionArgs a, float* q, float* k, float* v, float* o, float* lse)
    {
        int dh = a.Dh, group = a.H / a.Hkv;
        int panels = (a.S + TileCols - 1) / TileCols, sp = panels * TileCols;
        long headPack = (long)sp * dh;
        int kvUnits = a.B * a.Hkv;
        // The packed keys live in a process-wide buffer reused across calls (taken exclusively, so concurrent callers
        // each get their own); per-thread score scratch is thread-static. Neither is ever shrunk.
        var pack = Interlocked.Exchange(ref s_keyPanels, null);
        pack = GemmBuffer.Ensure(ref pack, kvUnits * headPack);
        try
        {
            float* kt = pack.Pointer;
            Par.For(kvUnits, Math.Max(1, 65536 / Math.Max(1, a.S * dh)), (u0, u1) =>
            {
                for (int u = u0; u < u1; u++) PackKeys(k + u * a.KvHeadStride, a.S, dh, kt + u * headPack);
            });
            int tiles = (a.T + TileRows - 1) / TileRows;
            int units = a.B * a.H * tiles;
            long unitWork = (long)TileRows * a.S * dh;
            Par.For(units, (int)Math.Max(1, 65536 / Math.Max(1, unitWork)), (w0, w1) =>
            {
                var scratch = GemmBuffer.Ensure(ref t_tileScratch, TileRows * (sp + 2L * dh));
                float* sc = scratch.Pointer;
                float* qPad = sc + TileRows * sp, oPad = qPad + TileRows * dh;
                for (int w = w0; w < w1; w++)
                {
                    // Within a (b, h), tiles alternate from both ends so contiguous unit ranges carry similar causal work.
                    int j = w % tiles, bh = w / tiles;
                    int tile = (j & 1) == 0 ? j >> 1 : tiles - 1 - (j >> 1);
                    int h = bh % a.H, b = bh / a.H;
                    long kvUnit = (long)b * a.Hkv + h / group;
                    ForwardTile(a, b, h, tile * TileRows, q, kt + kvUnit * headPack, v + kvUnit * a.KvHeadStride, o, lse, sc, sp, qPad, oPad);
                }
                scratch.KeepAlive();
            });
        }
        finally
        {
            pack.KeepAlive();
            if (pack.Length <= MaxCachedKeyPanels) Interlocked.Exchange(ref s_keyPanels, pack);
        }
    }

    /// <summary>dst[(s/64)·Dh·64 + d·64 + s%64] = k[s·Dh + d], zero for S ≤ s &lt; panels·64 (Dh a multiple of 16).</summary>
    private static void PackKeys(float* k, int s, int dh, float* dst)
    {
        int panels = (s + TileCols - 1) / TileCols;
        for (int pn = 0; pn < panels; pn++)
        {
            float* panel = dst + (long)pn * dh * TileCols;
            int s0 = pn * TileCols, n = Math.Min(TileCols, s - s0), j = 0;
            if (n < TileCols) new Span<float>(panel, dh * TileCols).Clear();
            for (; j + 16 <= n; j += 16)
            {
                for (int d = 0; d < dh; d += 16) Transpose16x16(k + (long)(s0 + j) * dh + d, dh, panel + d * TileCols + j, TileCols);
            }
            for (; j < n; j++)
            {
                float* ks = k + (long)(s0 + j) * dh;
                for (int d = 0; d < dh; d++) panel[d * TileCols + j] = ks[d];
            }
        }
    }

    /// <summary>dst[m·ldd + i] = src[i·lds + m] for i, m &lt; 16 (unpack 32/64-bit, then two 128-bit lane shuffles).</summary>
    private static void Transpose16x16(float* src, long lds, float* dst, long ldd)
    {
        var r0 = Vector512.Load(src); var r1 = Vector512.Load(src + lds); var r2 = Vector512.Load(src + 2 * lds); var r3 = Vector512.Load(src + 3 * lds);
        var r4 = Vector512.Load(src + 4 * lds); var r5 = Vector512.Load(src + 5 * lds); var r6 = Vector512.Load(src + 6 * lds); var r7 = Vector512.Load(src + 7 * lds);
        var r8 = Vector512.Load(src + 8 * lds); var r9 = Vector512.Load(src + 9 * lds); var r10 = Vector512.Load(src + 10 * lds); var r11 = Vector512.Load(src + 11 * lds);
        var r12 = Vector512.Load(src + 12 * lds); var r13 = Vector512.Load(src + 13 * lds); var r14 = Vector512.Load(src + 14 * lds); var r15 = Vector512.Load(src + 15 * lds);
        // u[4g + c], 128-bit lane j = rows 4g…4g+3 of column 4j + c.
        (var u0, var u1, var u2, var u3) = Interleave4(r0, r1, r2, r3);
        (var u4, var u5, var u6, var u7) = Interleave4(r4, r5, r6, r7);
        (var u8, var u9, var u10, var u11) = Interleave4(r8, r9, r10, r11);
        (var u12, var u13, var u14, var u15) = Interleave4(r12, r13, r14, r15);
        StoreColumns(u0, u4, u8, u12, dst, ldd);
        StoreColumns(u1, u5, u9, u13, dst + ldd, ldd);
        StoreColumns(u2, u6, u10, u14, dst + 2 * ldd, ldd);
        StoreColumns(u3, u7, u11, u15, dst + 3 * ldd, ldd);
    }

    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Interleave4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        var t0 = Avx512F.UnpackLow(a, b).AsDouble();
        var t1 = Avx512F.UnpackHigh(a, b).AsDouble();
        var t2 = Avx512F.UnpackLow(c, d).AsDouble();
        var t3 = Avx512F.UnpackHigh(c, d).AsDouble();
        return (Avx512F.UnpackLow(t0, t2).AsSingle(), Avx512F.UnpackHigh(t0, t2).AsSingle(), Avx512F.UnpackLow(t1, t3).AsSingle(), Avx512F.UnpackHigh(t1, t3).AsSingle());
    }

    /// <summary>Columns c, 4 + c, 8 + c, 12 + c (rows 4ldd apart from dst) from the four row groups of column phase c.</summary>
    private static void StoreColumns(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3, float* dst, long ldd)
    {
        var v0 = Avx512F.Shuffle4x128(g0, g1, 0x88);
        var v1 = Avx512F.Shuffle4x128(g0, g1, 0xdd);
        var v2 = Avx512F.Shuffle4x128(g2, g3, 0x88);
        var v3 = Avx512F.Shuffle4x128(g2, g3, 0xdd);
        Avx512F.Shuffle4x128(v0, v2, 0x88).Store(dst);
        Avx512F.Shuffle4x128(v1, v3, 0x88).Store(dst + 4 * ldd);
        Avx512F.Shuffle4x128(v0, v2, 0xdd).Store(dst + 8 * ldd);
        Avx512F.Shuffle4x128(v1, v3, 0xdd).Store(dst + 12 * ldd);
    }

    /// <summary>xᵢ += maskᵢ (when a mask row is given) for i &lt; n; returns max xᵢ (NaN if any xᵢ is NaN).</summary>
    private static float MaskedRowMax(float* x, float* mask, int n)
    {
        var vmax = Vector512.Create(float.NegativeInfinity);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var xv = Vector512.Load(x + i);
            if (mask != null)
            {
                xv += Vector512.Load(mask + i);
                xv.Store(x + i);
            }
            vmax = Vector512.Max(vmax, xv);
        }
        var m256 = Vector256.Max(vmax.GetLower(), vmax.GetUpper());
        var m128 = Vector128.Max(m256.GetLower(), m256.GetUpper());
        float max = MathF.Max(MathF.Max(m128[0], m128[1]), MathF.Max(m128[2], m128[3]));
        for (; i < n; i++)
        {
            if (mask != null) x[i] += mask[i];
            max = MathF.Max(max, x[i]);
        }
        return max;
    }

    /// <summary>
    /// eˣ for the softmax arguments x = s − max ≤ 0 (or NaN): FastExp's Cody–Waite reduction and degree-7 polynomial with
    /// a single 2ⁿ scaling; x &lt; −87 (normal range end; includes −∞) gives exactly 0 and NaN stays NaN. ≤ 2 ulp.
    /// </summary>
    private static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        const float lo = -87f, log2E = 1.44269504088896341f, ln2Hi = 0.693145751953125f, ln2Lo = 1.42860676533018704e-06f;
        var xc = Vector512.MaxNative(x, Vector512.Create(lo));
        var n = Vector512.Round(xc * Vector512.Create(log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-ln2Hi), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-ln2Lo), r);
        var p = Vector512.Create(1f / 5040);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 720));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        var scale = ((Vector512.ConvertToInt32Native(n) + Vector512.Create(127)) << 23).AsSingle();
        var e = p * scale;
        e = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(lo)), Vector512<float>.Zero, e);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), e, x);
    }

    /// <summary>
    /// xᵢ = exp(xᵢ − max) for i &lt; n (<see cref="ExpNonPositive"/>) and returns their sum; x[n, roundup16(n)) is overwritten
    /// (set to −∞ first, so it adds nothing).
    /// </summary>
    private static float ExpShiftSumPadded(float* x, int n, float max)
    {
        int n16 = (n + 15) & ~15;
        for (int i = n; i < n16; i++) x[i] = float.NegativeInfinity;
        var shift = Vector512.Create(max);
        var acc = Vector512<float>.Zero;
        for (int i = 0; i < n16; i += 16)
        {
            var e = ExpNonPositive(Vector512.Load(x + i) - shift);
            e.Store(x + i);
            acc += e;
        }
        return Vector512.Sum(acc);
    }

    private static void ForwardTile(AttentionArgs a, int b, int h, int t0, float* q, float* kt, float* v, float* o, float* lse,
        float* sc, int sp, float* qPad, float* oPad)
    {
        int dh = a.Dh, rows = Math.Min(TileRows, a.T - t0);
        long r0 = ((long)b * a.H + h) * a.T + t0;
        float* qt = q + r0 * dh, ot = o + r0 * dh;
        if (rows < TileRows)
        {
            new Span<float>(qPad, TileRows * dh).Clear();
            new Span<float>(qt, rows * dh).CopyTo(new Span<float>(qPad, rows * dh));
            qt = qPad;
            ot = oPad;
        }
        Span<int> limits = stackalloc int[TileRows];
        int maxLimit = 0, common = int.MaxValue;
        for (int i = 0; i < rows; i++)
        {
            limits[i] = a.Limit(t0 + i);
            maxLimit = Math.Max(maxLimit, limits[i]);
            common = Math.Min(common, limits[i]);
        }
        common = Math.Max(0, common);
        // Scores up to the largest limit rounded to 16 keys: whole 64-key panels, then 16-key slices of the last panel.
        int cols = (maxLimit + 15) & ~15, c0 = 0;
        for (; c0 + TileCols <= cols; c0 += TileCols)
        {
            Tile6x64(qt, dh, 0, dh, kt + (long)c0 * dh, TileCols, sc + c0, sp, a.Scale);
        }
        for (int c = c0; c < cols; c += 16) Tile6x16(qt, dh, 0, dh, kt + (long)c0 * dh + (c - c0), TileCols, sc + c, sp, a.Scale);
        Span<float> inv = stackalloc float[TileRows];
        for (int i = 0; i < rows; i++)
        {
            int limit = limits[i];
            if (limit <= 0)
            {
                lse[r0 + i] = float.NegativeInfinity;
                continue;
            }
            float* row = sc + (long)i * sp;
            float max = MaskedRowMax(row, a.MaskRow(b, h, t0 + i), limit);
            float sum = ExpShiftSumPadded(row, limit, max);
            inv[i] = 1f / sum;
            lse[r0 + i] = max + MathF.Log(sum);
        }
        // o = (Σₛ eₛ vₛ)·(1/Σ): the unnormalised weights go through the tile, each row is scaled once at the end.
        int d = 0;
        for (; d + TileCols <= dh; d += TileCols) Tile6x64(sc, sp, 0, common, v + d, dh, ot + d, dh, 1f);
        for (; d < dh; d += 16) Tile6x16(sc, sp, 0, common, v + d, dh, ot + d, dh, 1f);
        for (int i = 0; i < rows; i++)
        {
            if (limits[i] <= 0) continue;
            float* oi = ot + (long)i * dh;
            if (limits[i] > common) RowAccumulate(sc + (long)i * sp, common, limits[i], v, dh, oi, dh);
            var f = Vector512.Create(inv[i]);
            for (int j = 0; j < dh; j += 16) (Vector512.Load(oi + j) * f).Store(oi + j);
        }
        if (rows < TileRows) new Span<float>(oPad, rows * dh).CopyTo(new Span<float>(o + r0 * dh, rows * dh));
    }
}

// AVX-512 register tiles of the tiled attention forward: 6 rows × 64 columns (QKᵀ scores and P·V) plus a one-row tail.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

internal static unsafe partial class AttentionKernels
{
    /// <summary>Rows of one register tile (query rows per work unit).</summary>
    private const int TileRows = 6;

    /// <summary>Columns of one register tile: four Vector512 (keys per score panel, value dims per P·V pass).</summary>
    private const int TileCols = 64;

    // Tile6x64 computes, for rows i < 6 and columns j < 64, one FMA chain per element in p order:
    //   acc[i, j] = Σ_{p = p0}^{p1 − 1} a[i·lda + p] · b[p·ldb + j]
    // and stores c[i·ldc + j] = acc[i, j] · scale. 24 accumulators; per p step 4 B loads and 6 A broadcasts feed 24 FMAs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x64(float* a, long lda, int p0, int p1, float* b, long ldb, float* c, long ldc, float scale)
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        float* c0 = c, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        Vector512<float> x00, x01, x02, x03, x10, x11, x12, x13, x20, x21, x22, x23, x30, x31, x32, x33, x40, x41, x42, x43, x50, x51, x52, x53;
        x00 = x01 = x02 = x03 = x10 = x11 = x12 = x13 = x20 = x21 = x22 = x23 = default;
        x30 = x31 = x32 = x33 = x40 = x41 = x42 = x43 = x50 = x51 = x52 = x53 = default;
        float* bp = b + (long)p0 * ldb;
        for (int p = p0; p < p1; p++, bp += ldb)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            var b2 = Vector512.Load(bp + 32);
            var b3 = Vector512.Load(bp + 48);
            var s = Vector512.Create(a0[p]);
            x00 = Vector512.FusedMultiplyAdd(s, b0, x00); x01 = Vector512.FusedMultiplyAdd(s, b1, x01);
            x02 = Vector512.FusedMultiplyAdd(s, b2, x02); x03 = Vector512.FusedMultiplyAdd(s, b3, x03);
            s = Vector512.Create(a1[p]);
            x10 = Vector512.FusedMultiplyAdd(s, b0, x10); x11 = Vector512.FusedMultiplyAdd(s, b1, x11);
            x12 = Vector512.FusedMultiplyAdd(s, b2, x12); x13 = Vector512.FusedMultiplyAdd(s, b3, x13);
            s = Vector512.Create(a2[p]);
            x20 = Vector512.FusedMultiplyAdd(s, b0, x20); x21 = Vector512.FusedMultiplyAdd(s, b1, x21);
            x22 = Vector512.FusedMultiplyAdd(s, b2, x22); x23 = Vector512.FusedMultiplyAdd(s, b3, x23);
            s = Vector512.Create(a3[p]);
            x30 = Vector512.FusedMultiplyAdd(s, b0, x30); x31 = Vector512.FusedMultiplyAdd(s, b1, x31);
            x32 = Vector512.FusedMultiplyAdd(s, b2, x32); x33 = Vector512.FusedMultiplyAdd(s, b3, x33);
            s = Vector512.Create(a4[p]);
            x40 = Vector512.FusedMultiplyAdd(s, b0, x40); x41 = Vector512.FusedMultiplyAdd(s, b1, x41);
            x42 = Vector512.FusedMultiplyAdd(s, b2, x42); x43 = Vector512.FusedMultiplyAdd(s, b3, x43);
            s = Vector512.Create(a5[p]);
            x50 = Vector512.FusedMultiplyAdd(s, b0, x50); x51 = Vector512.FusedMultiplyAdd(s, b1, x51);
            x52 = Vector512.FusedMultiplyAdd(s, b2, x52); x53 = Vector512.FusedMultiplyAdd(s, b3, x53);
        }
        var sc = Vector512.Create(scale);
        (x00 * sc).Store(c0); (x01 * sc).Store(c0 + 16); (x02 * sc).Store(c0 + 32); (x03 * sc).Store(c0 + 48);
        (x10 * sc).Store(c1); (x11 * sc).Store(c1 + 16); (x12 * sc).Store(c1 + 32); (x13 * sc).Store(c1 + 48);
        (x20 * sc).Store(c2); (x21 * sc).Store(c2 + 16); (x22 * sc).Store(c2 + 32); (x23 * sc).Store(c2 + 48);
        (x30 * sc).Store(c3); (x31 * sc).Store(c3 + 16); (x32 * sc).Store(c3 + 32); (x33 * sc).Store(c3 + 48);
        (x40 * sc).Store(c4); (x41 * sc).Store(c4 + 16); (x42 * sc).Store(c4 + 32); (x43 * sc).Store(c4 + 48);
        (x50 * sc).Store(c5); (x51 * sc).Store(c5 + 16); (x52 * sc).Store(c5 + 32); (x53 * sc).Store(c5 + 48);
    }

    // Tile6x16: the same contract as Tile6x64 for 16 columns (value-dimension tails when Dh is not a multiple of 64).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x16(float* a, long lda, int p0, int p1, float* b, long ldb, float* c, long ldc, float scale)
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        float* c0 = c, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        Vector512<float> x0 = default, x1 = default, x2 = default, x3 = default, x4 = default, x5 = default;
        float* bp = b + (long)p0 * ldb;
        for (int p = p0; p < p1; p++, bp += ldb)
        {
            var b0 = Vector512.Load(bp);
            x0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[p]), b0, x0);
            x1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[p]), b0, x1);
            x2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[p]), b0, x2);
            x3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[p]), b0, x3);
            x4 = Vector512.FusedMultiplyAdd(Vector512.Create(a4[p]), b0, x4);
            x5 = Vector512.FusedMultiplyAdd(Vector512.Create(a5[p]), b0, x5);
        }
        var sc = Vector512.Create(scale);
        (x0 * sc).Store(c0); (x1 * sc).Store(c1); (x2 * sc).Store(c2);
        (x3 * sc).Store(c3); (x4 * sc).Store(c4); (x5 * sc).Store(c5);
    }

    /// <summary>o[d] = fma(p[s], v[s·ldv + d], o[d]) for s in [s0, s1) in key order, d &lt; dh (dh a multiple of 16).</summary>
    private static void RowAccumulate(float* p, int s0, int s1, float* v, long ldv, float* o, int dh)
    {
        int d = 0;
        for (; d + 64 <= dh; d += 64)
        {
            var o0 = Vector512.Load(o + d);
            var o1 = Vector512.Load(o + d + 16);
            var o2 = Vector512.Load(o + d + 32);
            var o3 = Vector512.Load(o + d + 48);
            for (int s = s0; s < s1; s++)
            {
                float* vs = v + s * ldv + d;
                var ps = Vector512.Create(p[s]);
                o0 = Vector512.FusedMultiplyAdd(ps, Vector512.Load(vs), o0);
                o1 = Vector512.FusedMultiplyAdd(ps, Vector512.Load(vs + 16), o1);
                o2 = Vector512.FusedMultiplyAdd(ps, Vector512.Load(vs + 32), o2);
                o3 = Vector512.FusedMultiplyAdd(ps, Vector512.Load(vs + 48), o3);
            }
            o0.Store(o + d);
            o1.Store(o + d + 16);
            o2.Store(o + d + 32);
            o3.Store(o + d + 48);
        }
        for (; d < dh; d += 16)
        {
            var o0 = Vector512.Load(o + d);
            for (int s = s0; s < s1; s++) o0 = Vector512.FusedMultiplyAdd(Vector512.Create(p[s]), Vector512.Load(v + s * ldv + d), o0);
            o0.Store(o + d);
        }
    }
}

// GEMM packing: op(A) blocks into MR-tall row panels, op(B) (f32 or bf16) into NR-wide column panels [panel][k][NR].
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) into ⌈mc/MR⌉ panels laid out [panel][p][MR]
    /// (rows beyond mc are zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackA(Transpose transA, float* a, long lda, int i0, int mc, int p0, int kc, float* dst)
    {
        int mr = Mr;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* d = dst + (long)(ir / mr) * kc * mr;
            if (transA == Transpose.No)
            {
                float* src = a + (i0 + ir) * lda + p0;
                if (rows == 8 && mr == 8 && Avx.IsSupported)
                {
                    Transpose8Avx(src, lda, kc, d, 8);
                    continue;
                }
                // Row by row: sequential reads, writes strided by MR (the panel is small and stays in L1).
                for (int ii = 0; ii < rows; ii++)
                {
                    float* s = src + ii * lda;
                    float* o = d + ii;
                    for (int p = 0; p < kc; p++) o[p * mr] = s[p];
                }
                for (int ii = rows; ii < mr; ii++)
                {
                    float* o = d + ii;
                    for (int p = 0; p < kc; p++) o[p * mr] = 0;
                }
            }
            else
            {
                float* src = a + p0 * lda + i0 + ir;
                for (int p = 0; p < kc; p++, d += mr)
                {
                    float* s = src + p * lda;
                    int ii = 0;
                    for (; ii < rows; ii++) d[ii] = s[ii];
                    for (; ii < mr; ii++) d[ii] = 0;
                }
            }
        }
    }

    /// <summary>Packs op(B) (k×n, f32) into ⌈n/NR⌉ panels [panel][p][NR], zero-padding the last panel; panels are split over threads.</summary>
    internal static void PackB(Transpose transB, int n, int k, float* b, long ldb, float* dst, int threads)
    {
        int nr = Nr;
        int panels = (n + nr - 1) / nr;
        int want = (int)Math.Clamp((double)n * k / 262144, 1, threads);
        Par.ForThreads(panels, want, (s, e) =>
        {
            for (int jp = s; jp < e; jp++) PackBPanel(transB, n, k, b, ldb, jp, dst + (long)jp * k * nr);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBPanel(Transpose transB, int n, int k, float* b, long ldb, int jp, float* d)
    {
        int nr = Nr;
        int j0 = jp * nr, cols = Math.Min(nr, n - j0);
        if (transB == Transpose.No)
        {
            for (int p = 0; p < k; p++, d += nr)
            {
                float* s = b + p * ldb + j0;
                if (cols == nr) new ReadOnlySpan<float>(s, nr).CopyTo(new Span<float>(d, nr));
                else
                {
                    int jj = 0;
                    for (; jj < cols; jj++) d[jj] = s[jj];
                    for (; jj < nr; jj++) d[jj] = 0;
                }
            }
        }
        else
        {
            // op(B)[p, j] = B[j, p]: panel column jj is row j0+jj of B (the [out, in] weight layout). p outer, jj inner:
            // sequential writes, NR concurrent sequential read streams.
            if (cols == nr && nr % 8 == 0 && Avx.IsSupported)
            {
                for (int jj = 0; jj < nr; jj += 8) Transpose8Avx(b + (j0 + jj) * ldb, ldb, k, d + jj, nr);
                return;
            }
            float** rows = stackalloc float*[nr];
            for (int jj = 0; jj < nr; jj++) rows[jj] = b + (jj < cols ? j0 + jj : j0) * ldb;
            for (int p = 0; p < k; p++, d += nr)
            {
                int jj = 0;
                for (; jj < cols; jj++) d[jj] = rows[jj][p];
                for (; jj < nr; jj++) d[jj] = 0;
            }
        }
    }

    /// <summary>Packs op(B) from bf16 storage (bits as ushort), converting exactly to f32 while packing.</summary>
    internal static void PackBBf16(Transpose transB, int n, int k, ushort* b, long ldb, float* dst, int threads)
    {
        int nr = Nr;
        int panels = (n + nr - 1) / nr;
        int want = (int)Math.Clamp((double)n * k / 262144, 1, threads);
        Par.ForThreads(panels, want, (s, e) =>
        {
            for (int jp = s; jp < e; jp++)
            {
                PackBPanelBf16(transB, n, k, b, ldb, jp, dst + (long)jp * k * nr);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBPanelBf16(Transpose transB, int n, int k, ushort* b, long ldb, int jp, float* d)
    {
        int nr = Nr;
        int j0 = jp * nr, cols = Math.Min(nr, n - j0);
        if (transB == Transpose.No)
        {
            for (int p = 0; p < k; p++, d += nr)
            {
                ushort* s = b + p * ldb + j0;
                int jj = 0;
                for (; jj < cols; jj++) d[jj] = BitConverter.Int32BitsToSingle(s[jj] << 16);
                for (; jj < nr; jj++) d[jj] = 0;
            }
            return;
        }
        if (cols == nr && nr % 8 == 0 && Avx2.IsSupported)
        {
            for (int jj = 0; jj < nr; jj += 8) Transpose8AvxBf16(b + (j0 + jj) * ldb, ldb, k, d + jj, nr);
            return;
        }
        ushort** rows = stackalloc ushort*[nr];
        for (int jj = 0; jj < nr; jj++) rows[jj] = b + (jj < cols ? j0 + jj : j0) * ldb;
        for (int p = 0; p < k; p++, d += nr)
        {
            int jj = 0;
            for (; jj < cols; jj++) d[jj] = BitConverter.Int32BitsToSingle(rows[jj][p] << 16);
            for (; jj < nr; jj++) d[jj] = 0;
        }
    }

    /// <summary>
    /// d[p·ds + i] = src[i·lda + p] for i &lt; 8, p &lt; kc: 8 rows transposed with 8×8 AVX blocks (scalar tail). Packs
    /// full A panels (ds = MR = 8) and 8-row slices of transposed B panels (ds = NR).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8Avx(float* src, long lda, int kc, float* d, int ds)
    {
        float* r0 = src, r1 = src + lda, r2 = src + 2 * lda, r3 = src + 3 * lda;
        float* r4 = src + 4 * lda, r5 = src + 5 * lda, r6 = src + 6 * lda, r7 = src + 7 * lda;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var t0 = Avx.UnpackLow(Avx.LoadVector256(r0 + p), Avx.LoadVector256(r1 + p));
            var t1 = Avx.UnpackHigh(Avx.LoadVector256(r0 + p), Avx.LoadVector256(r1 + p));
            var t2 = Avx.UnpackLow(Avx.LoadVector256(r2 + p), Avx.LoadVector256(r3 + p));
            var t3 = Avx.UnpackHigh(Avx.LoadVector256(r2 + p), Avx.LoadVector256(r3 + p));
            var t4 = Avx.UnpackLow(Avx.LoadVector256(r4 + p), Avx.LoadVector256(r5 + p));
            var t5 = Avx.UnpackHigh(Avx.LoadVector256(r4 + p), Avx.LoadVector256(r5 + p));
            var t6 = Avx.UnpackLow(Avx.LoadVector256(r6 + p), Avx.LoadVector256(r7 + p));
            var t7 = Avx.UnpackHigh(Avx.LoadVector256(r6 + p), Avx.LoadVector256(r7 + p));
            var u0 = Avx.Shuffle(t0, t2, 0x44);
            var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44);
            var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44);
            var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44);
            var u7 = Avx.Shuffle(t5, t7, 0xEE);
            float* o = d + (long)p * ds;
            Avx.Store(o, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(o + ds, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(o + 2 * ds, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(o + 3 * ds, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(o + 4 * ds, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(o + 5 * ds, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(o + 6 * ds, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(o + 7 * ds, Avx.Permute2x128(u3, u7, 0x31));
        }
        for (; p < kc; p++)
        {
            float* o = d + (long)p * ds;
            o[0] = r0[p]; o[1] = r1[p]; o[2] = r2[p]; o[3] = r3[p];
            o[4] = r4[p]; o[5] = r5[p]; o[6] = r6[p]; o[7] = r7[p];
        }
    }

    /// <summary>As <see cref="Transpose8Avx"/> for bf16 rows, widening each element exactly to f32 (bits &lt;&lt; 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8AvxBf16(ushort* src, long lds, int kc, float* d, int ds)
    {
        ushort* r0 = src, r1 = src + lds, r2 = src + 2 * lds, r3 = src + 3 * lds;
        ushort* r4 = src + 4 * lds, r5 = src + 5 * lds, r6 = src + 6 * lds, r7 = src + 7 * lds;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var v0 = Widen(r0 + p);
            var v1 = Widen(r1 + p);
            var v2 = Widen(r2 + p);
            var v3 = Widen(r3 + p);
            var v4 = Widen(r4 + p);
            var v5 = Widen(r5 + p);
            var v6 = Widen(r6 + p);
            var v7 = Widen(r7 + p);
            var t0 = Avx.UnpackLow(v0, v1);
            var t1 = Avx.UnpackHigh(v0, v1);
            var t2 = Avx.UnpackLow(v2, v3);
            var t3 = Avx.UnpackHigh(v2, v3);
            var t4 = Avx.UnpackLow(v4, v5);
            var t5 = Avx.UnpackHigh(v4, v5);
            var t6 = Avx.UnpackLow(v6, v7);
            var t7 = Avx.UnpackHigh(v6, v7);
            var u0 = Avx.Shuffle(t0, t2, 0x44);
            var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44);
            var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44);
            var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44);
            var u7 = Avx.Shuffle(t5, t7, 0xEE);
            float* o = d + (long)p * ds;
            Avx.Store(o, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(o + ds, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(o + 2 * ds, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(o + 3 * ds, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(o + 4 * ds, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(o + 5 * ds, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(o + 6 * ds, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(o + 7 * ds, Avx.Permute2x128(u3, u7, 0x31));
        }
        for (; p < kc; p++)
        {
            float* o = d + (long)p * ds;
            o[0] = Bf16.ToSingle(r0[p]); o[1] = Bf16.ToSingle(r1[p]); o[2] = Bf16.ToSingle(r2[p]); o[3] = Bf16.ToSingle(r3[p]);
            o[4] = Bf16.ToSingle(r4[p]); o[5] = Bf16.ToSingle(r5[p]); o[6] = Bf16.ToSingle(r6[p]); o[7] = Bf16.ToSingle(r7[p]);
        }

        static Vector256<float> Widen(ushort* s) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(s), 16).AsSingle();
    }
}

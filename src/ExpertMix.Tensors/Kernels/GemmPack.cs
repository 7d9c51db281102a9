// GEMM packing: op(A) blocks into MR-tall row panels, op(B) (f32 or bf16) into NR-wide column panels [panel][k][NR].
using System.Runtime.CompilerServices;

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
                // Row by row: sequential reads, writes strided by MR (the panel is small and stays in L1).
                float* src = a + (i0 + ir) * lda + p0;
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
        ushort** rows = stackalloc ushort*[nr];
        for (int jj = 0; jj < nr; jj++) rows[jj] = b + (jj < cols ? j0 + jj : j0) * ldb;
        for (int p = 0; p < k; p++, d += nr)
        {
            int jj = 0;
            for (; jj < cols; jj++) d[jj] = BitConverter.Int32BitsToSingle(rows[jj][p] << 16);
            for (; jj < nr; jj++) d[jj] = 0;
        }
    }
}

// GEMM with op(B) packed just in time: each thread packs its own column panels one KC slice at a time into an
// L2-sized block and runs the micro-kernel over it, instead of packing all of op(B) into one large buffer first.
using System.Runtime.CompilerServices;

namespace ExpertMix.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Column panels packed together per KC slice (8 × 192 × 48 floats = 288 KiB, L2-resident).</summary>
    private const int FusedBlockPanels = 8;

    [ThreadStatic] private static GemmBuffer? t_packAll;
    [ThreadStatic] private static GemmBuffer? t_blockB;

    /// <summary>
    /// Whether a product takes <see cref="SgemmFused"/>: more than one row, at least four column panels per thread
    /// (threads split the panels), and m ≤ n, so its packed op(A) (m×k, kept in a thread-static buffer) is never larger
    /// than the op(B) buffer of the other path (n×k; e.g. a backward through an lm_head, m = tokens, k = vocabulary,
    /// keeps the other path). On a GPT-2-small prefill it took 380 → 325 ms (f32) and 371 → 315 ms (bf16 weights)
    /// against packing all of op(B) first (docs/benchmarks.md).
    /// </summary>
    internal static bool UseFused(int m, int n, int threads) => m > 1 && m <= n && (n + Nr - 1) / Nr >= 4 * Math.Max(1, threads);

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C with op(B) f32 (<paramref name="b"/>) or bf16 bits (<paramref name="bBf16"/>).
    /// op(A) is packed once for every KC block (threads split the blocks); then threads split op(B)'s NR-column panels,
    /// and per block of <see cref="FusedBlockPanels"/> panels and per KC slice a thread packs the slice and runs every
    /// MR-row panel over it. Each C tile receives the same micro-kernel calls over the same KC blocks in the same order
    /// as <see cref="Run"/> on a fully packed op(B), so the result is bit-identical to it; what changes is that packed
    /// op(B) never leaves the core's L2.
    /// </summary>
    internal static void SgemmFused(Transpose transA, Transpose transB, int m, int n, int k, float alpha, float* a, long lda,
        float* b, ushort* bBf16, long ldb, float beta, float* c, long ldc, int threads)
    {
        int mr = Mr, nr = Nr;
        int mPanels = (m + mr - 1) / mr, nPanels = (n + nr - 1) / nr;
        var bufA = GemmBuffer.Ensure(ref t_packAll, (long)mPanels * mr * k);
        float* pa = bufA.Pointer;
        int kBlocks = (k + Kc - 1) / Kc;
        double flops = 2.0 * m * n * k;
        int want = (int)Math.Clamp(flops / 4e6, 1, Math.Min(threads, nPanels));
        // op(A)'s KC block pc sits at pa + mPanels·MR·pc, laid out [panel][p][MR] (PackA over all m rows).
        Par.ForThreads(kBlocks, Math.Min(want, kBlocks), (s, e) =>
        {
            for (int kb = s; kb < e; kb++)
            {
                int pc = kb * Kc;
                PackA(transA, a, lda, 0, m, pc, Math.Min(Kc, k - pc), pa + (long)mPanels * mr * pc);
            }
        });
        if (want <= 1) FusedRange(transB, m, n, k, alpha, pa, mPanels, b, bBf16, ldb, beta, c, ldc, 0, nPanels);
        else Par.ForThreads(nPanels, want, (s, e) => FusedRange(transB, m, n, k, alpha, pa, mPanels, b, bBf16, ldb, beta, c, ldc, s, e));
        bufA.KeepAlive();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FusedRange(Transpose transB, int m, int n, int k, float alpha, float* pa, int mPanels, float* b, ushort* bBf16, long ldb,
        float beta, float* c, long ldc, int panel0, int panel1)
    {
        int mr = Mr, nr = Nr;
        var bufB = GemmBuffer.Ensure(ref t_blockB, (long)FusedBlockPanels * Kc * nr);
        float* pb = bufB.Pointer;
        for (int jb = panel0; jb < panel1; jb += FusedBlockPanels)
        {
            int je = Math.Min(panel1, jb + FusedBlockPanels);
            for (int pc = 0; pc < k; pc += Kc)
            {
                int kc = Math.Min(Kc, k - pc);
                float betaEff = pc == 0 ? beta : 1f;
                for (int jp = jb; jp < je; jp++)
                {
                    float* d = pb + (long)(jp - jb) * kc * nr;
                    long offset = transB == Transpose.Yes ? pc : (long)pc * ldb;
                    if (bBf16 is null) PackBPanel(transB, n, kc, b + offset, ldb, jp, d);
                    else PackBPanelBf16(transB, n, kc, bBf16 + offset, ldb, jp, d);
                }
                float* ap = pa + (long)mPanels * mr * pc;
                for (int jp = jb; jp < je; jp++)
                {
                    int j = jp * nr, nrEff = Math.Min(nr, n - j);
                    float* bp = pb + (long)(jp - jb) * kc * nr;
                    for (int ir = 0; ir < mPanels; ir++)
                    {
                        int i = ir * mr;
                        Micro(kc, ap + (long)ir * kc * mr, bp, c + i * ldc + j, ldc, alpha, betaEff, Math.Min(mr, m - i), nrEff);
                    }
                }
            }
        }
        bufB.KeepAlive();
    }
}

// GEMM entry points for Linear-style weights: pre-packed (PackedWeight), bf16 storage, and strided batches.
namespace ExpertMix.Tensors.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// C[m×N] = alpha·op(A)·Wᵀ + beta·C with W [N×K] pre-packed in <paramref name="weight"/>; op(A) is m×K. m = 1
    /// streams the retained source weight (GEMV). Bit-identical to <see cref="Sgemm(Transpose, Transpose, int, int, int, float, float*, long, float*, long, float, float*, long)"/>
    /// with B = W and transB = Yes (or <see cref="SgemmBf16"/> for a bf16 weight).
    /// </summary>
    public static void SgemmPacked(Transpose transA, int m, float alpha, float* a, long lda, PackedWeight weight, float beta, float* c, long ldc)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int n = weight.OutFeatures, k = weight.InFeatures;
        int threads = Engine.Threads;
        ValidateDims(transA, Transpose.Yes, m, n, k, lda, Math.Max(1, k), ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        var src = weight.Source;
        if (m == 1)
        {
            long incx = transA == Transpose.No ? 1 : lda;
            if (src.DType == DType.F32) Gemv.RowMajor(n, k, alpha, src.DataPointer, src.Stride(0), a, incx, beta, c, threads);
            else Gemv.RowMajorBf16(n, k, alpha, (ushort*)src.RawPointer, src.Stride(0), a, incx, beta, c, threads);
            return;
        }
        Run(transA, m, n, k, alpha, a, lda, weight.Panels, beta, c, ldc, threads);
        weight.KeepAlive();
    }

    /// <summary>Span overload of <see cref="SgemmPacked(Transpose, int, float, float*, long, PackedWeight, float, float*, long)"/>.</summary>
    /// <exception cref="ArgumentException">A span is too short for its shape and leading dimension.</exception>
    public static void SgemmPacked(Transpose transA, int m, float alpha, ReadOnlySpan<float> a, long lda, PackedWeight weight, float beta, Span<float> c, long ldc)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int k = weight.InFeatures;
        CheckSpan(a.Length, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda, nameof(a));
        CheckSpan(c.Length, m, weight.OutFeatures, ldc, nameof(c));
        fixed (float* pa = a)
        fixed (float* pc = c)
        {
            SgemmPacked(transA, m, alpha, pa, lda, weight, beta, pc, ldc);
        }
    }

    /// <summary>
    /// C[m×n] = alpha·op(A)·op(B) + beta·C with B stored as bf16 bits (exactly widened to f32; f32 accumulate).
    /// Same conventions as <see cref="Sgemm(Transpose, Transpose, int, int, int, float, float*, long, float*, long, float, float*, long)"/>.
    /// </summary>
    public static void SgemmBf16(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float* a, long lda, ushort* b, long ldb, float beta, float* c, long ldc)
    {
        int threads = Engine.Threads;
        ValidateDims(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (m == 1 && transB == Transpose.Yes)
        {
            Gemv.RowMajorBf16(n, k, alpha, b, ldb, a, transA == Transpose.No ? 1 : lda, beta, c, threads);
            return;
        }
        if (UseFused(m, n, threads))
        {
            SgemmFused(transA, transB, m, n, k, alpha, a, lda, null, b, ldb, beta, c, ldc, threads);
            return;
        }
        var buf = GemmBuffer.Ensure(ref t_packB, PackedBLength(n, k));
        PackBBf16(transB, n, k, b, ldb, buf.Pointer, threads);
        Run(transA, m, n, k, alpha, a, lda, buf.Pointer, beta, c, ldc, threads);
        buf.KeepAlive();
    }

    /// <summary>
    /// Strided batched GEMM: for t &lt; batch, C_t = alpha·op(A_t)·op(B_t) + beta·C_t with X_t = x + t·strideX
    /// (a stride of 0 broadcasts one matrix). Small matrices run one per thread; large ones use all threads each.
    /// </summary>
    public static void SgemmBatched(int batch, Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float* a, long lda, long strideA, float* b, long ldb, long strideB, float beta, float* c, long ldc, long strideC)
    {
        if (batch < 0) throw new ArgumentException($"negative batch {batch}", nameof(batch));
        var offA = new long[batch];
        var offB = new long[batch];
        var offC = new long[batch];
        for (int t = 0; t < batch; t++)
        {
            offA[t] = t * strideA;
            offB[t] = t * strideB;
            offC[t] = t * strideC;
        }
        SgemmBatched(transA, transB, m, n, k, alpha, a, lda, offA, b, ldb, offB, beta, c, ldc, offC);
    }

    /// <summary>Batched GEMM with explicit per-matrix element offsets (used by broadcasting matmul).</summary>
    internal static void SgemmBatched(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float* a, long lda, long[] offA, float* b, long ldb, long[] offB, float beta, float* c, long ldc, long[] offC)
    {
        ValidateDims(transA, transB, m, n, k, lda, ldb, ldc);
        int batch = offC.Length;
        int threads = Engine.Threads;
        double flops = 2.0 * m * n * k;
        if (batch >= 2 && threads > 1 && flops < 8e6)
        {
            int want = (int)Math.Clamp(batch * flops / 1e6, 1, Math.Min(threads, batch));
            Par.ForThreads(batch, want, (s, e) =>
            {
                for (int t = s; t < e; t++) Sgemm(transA, transB, m, n, k, alpha, a + offA[t], lda, b + offB[t], ldb, beta, c + offC[t], ldc, 1);
            });
            return;
        }
        for (int t = 0; t < batch; t++) Sgemm(transA, transB, m, n, k, alpha, a + offA[t], lda, b + offB[t], ldb, beta, c + offC[t], ldc, threads);
    }
}

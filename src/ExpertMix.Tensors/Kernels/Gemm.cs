// Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, row-major, BLIS-style packing + register-tiled micro-kernels.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Row-major single-precision matrix multiply. Structure (GotoBLAS/BLIS): op(B) is packed into NR-wide column panels
/// laid out [panel][k][NR] (the <see cref="PackedWeight"/> layout), op(A) is packed per (MC×KC) block into MR-tall row
/// panels, and a register-tiled FMA micro-kernel computes MR×NR tiles of C. K is processed in fixed KC blocks, so
/// every element of C is the same chain of f32 FMAs whatever the thread count or tile position: results are
/// bit-identical for any <see cref="Engine.Threads"/>. Threads split C by MR-row or NR-column panels. With enough
/// column panels (<see cref="UseFused"/>), op(B) is not packed up front: each thread packs its own panels one KC slice
/// at a time into an L2-sized block right before using it (<see cref="SgemmFused"/>, same arithmetic).
/// </summary>
/// <remarks>
/// NaN/Inf in A or B propagate as in a naive loop. When beta is 0, C is not read (NaN in C is overwritten), as in BLAS.
/// When alpha is 0 or k is 0, A and B are not read and C = beta·C.
/// </remarks>
public static unsafe partial class Gemm
{
    /// <summary>K-block size: a KC×NR B micro-panel (36 KB) plus an MR×KC A panel (6 KB) fit L1 (48 KB on Zen 5).</summary>
    internal const int Kc = 192;

    /// <summary>M-block size: an MC×KC packed A block (144 KB) stays in L2 (1 MB on Zen 5).</summary>
    internal const int Mc = 192;

    /// <summary>Micro-kernel flavour chosen once per process from the hardware.</summary>
    internal enum KernelKind
    {
        Scalar,
        Vector128,
        Vector256,
        Vector512,
    }

    internal static readonly KernelKind Kind = SelectKind();

    /// <summary>Rows of the register tile.</summary>
    internal static readonly int Mr = Kind switch { KernelKind.Vector512 => 8, KernelKind.Vector256 => 6, KernelKind.Vector128 => 6, _ => 4 };

    /// <summary>Columns of the register tile (also the <see cref="PackedWeight"/> panel width).</summary>
    internal static readonly int Nr = Kind switch { KernelKind.Vector512 => 48, KernelKind.Vector256 => 16, KernelKind.Vector128 => 8, _ => 4 };

    [ThreadStatic] private static GemmBuffer? t_packA;
    [ThreadStatic] private static GemmBuffer? t_packB;

    private static KernelKind SelectKind()
    {
        if (Vector512.IsHardwareAccelerated && Fma.IsSupported) return KernelKind.Vector512;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported) return KernelKind.Vector256;
        if (Vector128.IsHardwareAccelerated && (Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)) return KernelKind.Vector128;
        return KernelKind.Scalar;
    }

    /// <summary>
    /// C[m×n] = alpha·op(A)·op(B) + beta·C with op(A) m×k and op(B) k×n. Row-major: element (i, j) of X is
    /// X[i·ldx + j]; A is m×k (lda ≥ k) when <paramref name="transA"/> is No, else k×m (lda ≥ m); likewise B.
    /// </summary>
    /// <exception cref="ArgumentException">A negative size or a leading dimension smaller than the row width.</exception>
    public static void Sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc)
        => Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Engine.Threads);

    /// <summary>Span overload of <see cref="Sgemm(Transpose, Transpose, int, int, int, float, float*, long, float*, long, float, float*, long)"/>.</summary>
    public static void Sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, long lda, ReadOnlySpan<float> b, long ldb, float beta, Span<float> c, long ldc)
    {
        CheckSpan(a.Length, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda, nameof(a));
        CheckSpan(b.Length, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb, nameof(b));
        CheckSpan(c.Length, m, n, ldc, nameof(c));
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    internal static void CheckSpan(long length, int rows, int cols, long ld, string name)
    {
        if (ld < Math.Max(1, cols)) throw new ArgumentException($"leading dimension {ld} < row width {cols}", name);
        if (rows > 0 && cols > 0 && length < (rows - 1) * ld + cols) throw new ArgumentException($"{name} has {length} elements; {rows}×{cols} with ld {ld} needs {(rows - 1) * ld + cols}", name);
    }

    internal static void Sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float* a, long lda, float* b, long ldb, float beta, float* c, long ldc, int threads)
    {
        ValidateDims(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (m == 1 && transB == Transpose.Yes)
        {
            Gemv.RowMajor(n, k, alpha, b, ldb, a, transA == Transpose.No ? 1 : lda, beta, c, threads);
            return;
        }
        if (UseFused(m, n, threads))
        {
            SgemmFused(transA, transB, m, n, k, alpha, a, lda, b, null, ldb, beta, c, ldc, threads);
            return;
        }
        long need = PackedBLength(n, k);
        var buf = GemmBuffer.Ensure(ref t_packB, need);
        PackB(transB, n, k, b, ldb, buf.Pointer, threads);
        Run(transA, m, n, k, alpha, a, lda, buf.Pointer, beta, c, ldc, threads);
        buf.KeepAlive();
    }

    internal static void ValidateDims(Transpose transA, Transpose transB, int m, int n, int k, long lda, long ldb, long ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"negative GEMM size m={m} n={n} k={k}");
        if (lda < Math.Max(1, transA == Transpose.No ? k : m)) throw new ArgumentException($"lda {lda} too small for op(A) {m}×{k} ({transA})", nameof(lda));
        if (ldb < Math.Max(1, transB == Transpose.No ? n : k)) throw new ArgumentException($"ldb {ldb} too small for op(B) {k}×{n} ({transB})", nameof(ldb));
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"ldc {ldc} too small for C {m}×{n}", nameof(ldc));
    }

    /// <summary>C = beta·C (beta 0 writes zeros without reading C).</summary>
    internal static void ScaleC(int m, int n, float beta, float* c, long ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0) row.Clear();
            else if (beta != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>Floats needed for op(B) k×n packed into ⌈n/NR⌉ panels of k×NR.</summary>
    internal static long PackedBLength(int n, int k) => (long)((n + Nr - 1) / Nr) * Nr * Math.Max(k, 1);

    /// <summary>
    /// The blocked product with op(B) already packed ([panel][k][NR]). Splits C over threads by MR-row panels when
    /// there are enough of them, else by NR-column panels.
    /// </summary>
    internal static void Run(Transpose transA, int m, int n, int k, float alpha, float* a, long lda, float* packedB,
        float beta, float* c, long ldc, int threads)
    {
        int mr = Mr, nr = Nr;
        int mPanels = (m + mr - 1) / mr, nPanels = (n + nr - 1) / nr;
        double flops = 2.0 * m * n * k;
        int want = (int)Math.Clamp(flops / 4e6, 1, threads);
        if (want <= 1)
        {
            RunRange(transA, k, alpha, a, lda, packedB, beta, c, ldc, 0, m, 0, nPanels, n);
            return;
        }
        if (mPanels >= 4 * want)
        {
            Par.ForThreads(mPanels, want, (s, e) => RunRange(transA, k, alpha, a, lda, packedB, beta, c, ldc, s * mr, Math.Min(m, e * mr), 0, nPanels, n));
        }
        else
        {
            Par.ForThreads(nPanels, want, (s, e) => RunRange(transA, k, alpha, a, lda, packedB, beta, c, ldc, 0, m, s, e, n));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRange(Transpose transA, int k, float alpha, float* a, long lda, float* packedB,
        float beta, float* c, long ldc, int m0, int m1, int panel0, int panel1, int n)
    {
        int mr = Mr, nr = Nr;
        var bufA = GemmBuffer.Ensure(ref t_packA, (long)(Mc + mr) * Kc);
        float* pa = bufA.Pointer;
        for (int pc = 0; pc < k; pc += Kc)
        {
            int kc = Math.Min(Kc, k - pc);
            float betaEff = pc == 0 ? beta : 1f;
            for (int ic = m0; ic < m1; ic += Mc)
            {
                int mc = Math.Min(Mc, m1 - ic);
                PackA(transA, a, lda, ic, mc, pc, kc, pa);
                for (int jp = panel0; jp < panel1; jp++)
                {
                    int j = jp * nr;
                    int nrEff = Math.Min(nr, n - j);
                    float* bp = packedB + (long)jp * k * nr + (long)pc * nr;
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int mrEff = Math.Min(mr, mc - ir);
                        Micro(kc, pa + (long)(ir / mr) * kc * mr, bp, c + (ic + ir) * ldc + j, ldc, alpha, betaEff, mrEff, nrEff);
                    }
                }
            }
        }
        bufA.KeepAlive();
    }

    private static void Micro(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        switch (Kind)
        {
            case KernelKind.Vector512: Kernel8x48(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
            case KernelKind.Vector256: Kernel6x16(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
            case KernelKind.Vector128: Kernel6x8(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
            default: Kernel4x4Scalar(kc, a, b, c, ldc, alpha, beta, mr, nr); break;
        }
    }

    /// <summary>
    /// The scalar reference: C[i,j] = alpha·Σₚ op(A)[i,p]·op(B)[p,j] + beta·C[i,j] by a naive triple loop with an f32
    /// accumulator in increasing p (beta 0: C not read). Kept forever as the oracle for the blocked kernels.
    /// </summary>
    public static void Reference(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, long lda, ReadOnlySpan<float> b, long ldb, float beta, Span<float> c, long ldc)
    {
        ValidateDims(transA, transB, m, n, k, lda, ldb, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float x = transA == Transpose.No ? a[(int)(i * lda + p)] : a[(int)(p * lda + i)];
                    float y = transB == Transpose.No ? b[(int)(p * ldb + j)] : b[(int)(j * ldb + p)];
                    sum += x * y;
                }
                int ci = (int)(i * ldc + j);
                c[ci] = beta == 0 ? alpha * sum : alpha * sum + beta * c[ci];
            }
        }
    }
}

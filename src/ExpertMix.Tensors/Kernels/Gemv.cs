// GEMV for single-token decode: y[n] = alpha·W[n,:]·x + beta·y[n] streaming a row-major f32 or bf16 weight once.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Matrix-vector products against a row-major weight W[N×K] (the torch Linear layout): y = alpha·W·x + beta·y.
/// Rows are processed in fixed groups of four (chunks of groups are claimed by the threads), each row reduced by one thread
/// in a fixed order, so results are bit-identical for any <see cref="Engine.Threads"/>. beta 0: y is not read.
/// NaN/Inf in W or x propagate.
/// </summary>
public static unsafe partial class Gemv
{
    [ThreadStatic] private static GemmBuffer? t_x;

    /// <summary>y[i] = alpha·Σₚ W[i·ldw + p]·x[p·incx] + beta·y[i] for i &lt; n (f32 weight).</summary>
    public static void RowMajor(int n, int k, float alpha, float* w, long ldw, float* x, long incx, float beta, float* y, int threads)
        => Run(n, k, alpha, w, null, ldw, x, incx, beta, y, threads);

    /// <summary>As <see cref="RowMajor(int, int, float, float*, long, float*, long, float, float*, int)"/> with a bf16 weight (raw bits), widened exactly to f32 in registers.</summary>
    public static void RowMajorBf16(int n, int k, float alpha, ushort* w, long ldw, float* x, long incx, float beta, float* y, int threads)
        => Run(n, k, alpha, null, w, ldw, x, incx, beta, y, threads);

    /// <summary>Span overload: y = alpha·W·x + beta·y for W [n×k] (row stride <paramref name="ldw"/>), all threads.</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void RowMajor(int n, int k, float alpha, ReadOnlySpan<float> w, long ldw, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        CheckSpans(n, k, w.Length, ldw, x.Length, y.Length);
        fixed (float* pw = w, px = x, py = y) RowMajor(n, k, alpha, pw, ldw, px, 1, beta, py, Engine.Threads);
    }

    /// <summary>Span overload of <see cref="RowMajorBf16(int, int, float, ushort*, long, float*, long, float, float*, int)"/>, all threads.</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void RowMajorBf16(int n, int k, float alpha, ReadOnlySpan<ushort> w, long ldw, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        CheckSpans(n, k, w.Length, ldw, x.Length, y.Length);
        fixed (ushort* pw = w)
        fixed (float* px = x, py = y)
        {
            RowMajorBf16(n, k, alpha, pw, ldw, px, 1, beta, py, Engine.Threads);
        }
    }

    private static void CheckSpans(int n, int k, int wLength, long ldw, int xLength, int yLength)
    {
        Gemm.CheckSpan(wLength, n, k, ldw, "w");
        if (xLength < k) throw new ArgumentException($"x has {xLength} elements, k = {k}", "x");
        if (yLength < n) throw new ArgumentException($"y has {yLength} elements, n = {n}", "y");
    }

    private static void Run(int n, int k, float alpha, float* wf, ushort* wb, long ldw, float* x, long incx, float beta, float* y, int threads)
    {
        if (n <= 0) return;
        if (ldw < Math.Max(1, k)) throw new ArgumentException($"ldw {ldw} < k {k}", nameof(ldw));
        GemmBuffer? gathered = null;
        if (incx != 1 && k > 0)
        {
            gathered = GemmBuffer.Ensure(ref t_x, k);
            for (int p = 0; p < k; p++) gathered.Pointer[p] = x[p * incx];
            x = gathered.Pointer;
        }
        int groups = (n + 3) / 4;
        long bytes = (long)n * k * (wb != null ? 2 : 4);
        int want = (int)Math.Clamp(bytes / 131072, 1, threads);
        // Four chunks per thread (each ≥ 32 KiB of weights): chunks are claimed dynamically, so a worker that wakes late
        // (or is preempted on a busy machine) still takes its share instead of the caller streaming everything alone.
        int chunks = want == 1 ? 1 : (int)Math.Min(groups, Math.Min(want * 4L, Math.Max(1, bytes / 32768)));
        Par.ForThreads(groups, chunks, (s, e) => Groups(s, e, n, k, alpha, wf, wb, ldw, x, beta, y));
        gathered?.KeepAlive();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Groups(int s, int e, int n, int k, float alpha, float* wf, ushort* wb, long ldw, float* x, float beta, float* y)
    {
        // Two row groups half a chunk apart are reduced together: two distant read streams per core keep more lines in
        // flight than one (gpt2-small bf16 decode: 18% faster in an interleaved A/B, see docs/benchmarks.md).
        int full = Math.Min(e, n / 4), half = Vector512.IsHardwareAccelerated && k >= 32 ? Math.Max(0, full - s) / 2 : 0;
        for (int g = s; g < s + half; g++)
        {
            long r0 = g * 4L, r1 = (g + half) * 4L;
            if (wb != null) Rows4x2Bf16(k, wb + r0 * ldw, wb + r1 * ldw, ldw, x, y + r0, y + r1, alpha, beta);
            else Rows4x2(k, wf + r0 * ldw, wf + r1 * ldw, ldw, x, y + r0, y + r1, alpha, beta);
        }
        for (int g = s + 2 * half; g < e; g++)
        {
            int r0 = g * 4, rows = Math.Min(4, n - r0);
            if (rows == 4)
            {
                if (wb != null) Rows4Bf16(k, wb + r0 * ldw, ldw, x, y + r0, alpha, beta);
                else Rows4(k, wf + r0 * ldw, ldw, x, y + r0, alpha, beta);
            }
            else
            {
                for (int r = r0; r < r0 + rows; r++)
                {
                    float s1 = wb != null ? DotBf16(k, wb + r * ldw, x) : Dot(k, wf + r * ldw, x);
                    y[r] = Finish(s1, alpha, beta, y[r]);
                }
            }
        }
    }

    private static float Finish(float s, float alpha, float beta, float y) => beta == 0 ? alpha * s : alpha * s + beta * y;

    // Four rows in flight (more memory-level parallelism); each row uses exactly the arithmetic of Dot.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(int k, float* w, long ldw, float* x, float* y, float alpha, float beta)
    {
        if (!Vector512.IsHardwareAccelerated || k < 32)
        {
            for (int r = 0; r < 4; r++) y[r] = Finish(Dot(k, w + r * ldw, x), alpha, beta, y[r]);
            return;
        }
        float* w0 = w, w1 = w + ldw, w2 = w + 2 * ldw, w3 = w + 3 * ldw;
        // Sweep the next group of rows linearly while this one is reduced: 4 rows × 128 B consumed per step, the same
        // 512 B (8 lines) of the next 4·ldw block prefetched, so the whole next block is in flight by the time it is
        // needed. A linear sweep keeps DRAM pages open and measured 10–40% faster than per-row prefetch (noisy VM).
        float* next = w + 4 * ldw;
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            float* pf = next + 4 * p; // prefetches never fault, even past the end of W
            Sse.Prefetch0(pf);
            Sse.Prefetch0(pf + 16);
            a00 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + p), x0, a00);
            a01 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + p + 16), x1, a01);
            Sse.Prefetch0(pf + 32);
            Sse.Prefetch0(pf + 48);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + p), x0, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + p + 16), x1, a11);
            Sse.Prefetch0(pf + 64);
            Sse.Prefetch0(pf + 80);
            a20 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + p), x0, a20);
            a21 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + p + 16), x1, a21);
            Sse.Prefetch0(pf + 96);
            Sse.Prefetch0(pf + 112);
            a30 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + p), x0, a30);
            a31 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + p + 16), x1, a31);
        }
        float s0 = Vector512.Sum(a00 + a01), s1 = Vector512.Sum(a10 + a11), s2 = Vector512.Sum(a20 + a21), s3 = Vector512.Sum(a30 + a31);
        for (; p < k; p++)
        {
            float xp = x[p];
            s0 += w0[p] * xp;
            s1 += w1[p] * xp;
            s2 += w2[p] * xp;
            s3 += w3[p] * xp;
        }
        y[0] = Finish(s0, alpha, beta, y[0]);
        y[1] = Finish(s1, alpha, beta, y[1]);
        y[2] = Finish(s2, alpha, beta, y[2]);
        y[3] = Finish(s3, alpha, beta, y[3]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4Bf16(int k, ushort* w, long ldw, float* x, float* y, float alpha, float beta)
    {
        if (!Vector512.IsHardwareAccelerated || k < 32)
        {
            for (int r = 0; r < 4; r++) y[r] = Finish(DotBf16(k, w + r * ldw, x), alpha, beta, y[r]);
            return;
        }
        ushort* w0 = w, w1 = w + ldw, w2 = w + 2 * ldw, w3 = w + 3 * ldw;
        ushort* next = w + 8 * ldw; // linear sweep two groups ahead (a bf16 group is half the bytes): 4 lines per step
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            ushort* pf = next + 4 * p; // prefetches never fault, even past the end of W
            Sse.Prefetch0(pf);
            var b0 = Vector512.Load(w0 + p);
            a00 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(b0), 16).AsSingle(), x0, a00);
            a01 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(b0), 16).AsSingle(), x1, a01);
            Sse.Prefetch0(pf + 32);
            var b1 = Vector512.Load(w1 + p);
            a10 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(b1), 16).AsSingle(), x0, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(b1), 16).AsSingle(), x1, a11);
            Sse.Prefetch0(pf + 64);
            var b2 = Vector512.Load(w2 + p);
            a20 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(b2), 16).AsSingle(), x0, a20);
            a21 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(b2), 16).AsSingle(), x1, a21);
            Sse.Prefetch0(pf + 96);
            var b3 = Vector512.Load(w3 + p);
            a30 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(b3), 16).AsSingle(), x0, a30);
            a31 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(b3), 16).AsSingle(), x1, a31);
        }
        float s0 = Vector512.Sum(a00 + a01), s1 = Vector512.Sum(a10 + a11), s2 = Vector512.Sum(a20 + a21), s3 = Vector512.Sum(a30 + a31);
        for (; p < k; p++)
        {
            float xp = x[p];
            s0 += BitConverter.Int32BitsToSingle(w0[p] << 16) * xp;
            s1 += BitConverter.Int32BitsToSingle(w1[p] << 16) * xp;
            s2 += BitConverter.Int32BitsToSingle(w2[p] << 16) * xp;
            s3 += BitConverter.Int32BitsToSingle(w3[p] << 16) * xp;
        }
        y[0] = Finish(s0, alpha, beta, y[0]);
        y[1] = Finish(s1, alpha, beta, y[1]);
        y[2] = Finish(s2, alpha, beta, y[2]);
        y[3] = Finish(s3, alpha, beta, y[3]);
    }

    /// <summary>Σₚ w[p]·x[p]: Vector512/256 lanes with two accumulators, a fixed horizontal sum, then a scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(int k, float* w, float* x)
    {
        int p = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && k >= 32)
        {
            Vector512<float> a0 = default, a1 = default;
            for (; p + 32 <= k; p += 32)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + p), Vector512.Load(x + p), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + p + 16), Vector512.Load(x + p + 16), a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        else if (Vector256.IsHardwareAccelerated && k >= 16)
        {
            Vector256<float> a0 = default, a1 = default;
            for (; p + 16 <= k; p += 16)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + p), Vector256.Load(x + p), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + p + 8), Vector256.Load(x + p + 8), a1);
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; p < k; p++) s += w[p] * x[p];
        return s;
    }

    /// <summary>Σₚ float(w[p])·x[p] for bf16 bits w (same order as <see cref="Dot"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float DotBf16(int k, ushort* w, float* x)
    {
        int p = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && k >= 32)
        {
            Vector512<float> a0 = default, a1 = default;
            for (; p + 32 <= k; p += 32)
            {
                var bits = Vector512.Load(w + p);
                var lo = Vector512.ShiftLeft(Vector512.WidenLower(bits), 16).AsSingle();
                var hi = Vector512.ShiftLeft(Vector512.WidenUpper(bits), 16).AsSingle();
                a0 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x + p), a0);
                a1 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x + p + 16), a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        else if (Vector256.IsHardwareAccelerated && k >= 16)
        {
            Vector256<float> a0 = default, a1 = default;
            for (; p + 16 <= k; p += 16)
            {
                var bits = Vector256.Load(w + p);
                var lo = Vector256.ShiftLeft(Vector256.WidenLower(bits), 16).AsSingle();
                var hi = Vector256.ShiftLeft(Vector256.WidenUpper(bits), 16).AsSingle();
                a0 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(x + p), a0);
                a1 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(x + p + 8), a1);
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; p < k; p++) s += BitConverter.Int32BitsToSingle(w[p] << 16) * x[p];
        return s;
    }

    /// <summary>Scalar reference: y[i] = alpha·Σₚ W[i·ldw + p]·x[p] + beta·y[i] (f32 accumulator, increasing p).</summary>
    public static void Reference(int n, int k, float alpha, ReadOnlySpan<float> w, long ldw, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        for (int i = 0; i < n; i++)
        {
            float s = 0;
            for (int p = 0; p < k; p++) s += w[(int)(i * ldw + p)] * x[p];
            y[i] = Finish(s, alpha, beta, y[i]);
        }
    }
}

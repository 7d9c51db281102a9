// GEMV for single-token decode: y[n] = alpha·W[n,:]·x + beta·y[n] streaming a row-major f32 or bf16 weight once.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Matrix-vector products against a row-major weight W[N×K] (the torch Linear layout): y = alpha·W·x + beta·y.
/// Rows are processed in fixed groups of four (guided ranges of groups are claimed by the threads), each row reduced by one thread
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
        // Guided ranges (Par.ForGuided): large claims first, ≥ 32 KiB of weights each at the end, so both threads stream
        // until the last few microseconds. A fixed split into 4 chunks per thread left the caller waiting for the
        // worker's last chunk: 0.04–0.78 ms per gpt2-small bf16 token (up to 8%), against 0.04–0.11 ms guided
        // (docs/benchmarks.md). Below 128 KiB of weights one thread.
        int groupBytes = 4 * Math.Max(1, k) * (wb != null ? 2 : 4);
        int minGroups = Math.Max(1, 32768 / groupBytes);
        if (bytes < 131072 || threads <= 1) Groups(0, groups, n, k, alpha, wf, wb, ldw, x, beta, y);
        else Par.ForGuided(groups, minGroups, threads, (s, e) => Groups(s, e, n, k, alpha, wf, wb, ldw, x, beta, y));
        gathered?.KeepAlive();
    }

    // A chunk [s, e) of four-row groups is cut into row pairs; pairs i, i + q, i + 2q, i + 3q are reduced together
    // (q = pairs / 4), so each core reads four distant streams at once: more lines in flight than one stream, which
    // measured 1.3–1.4× faster on the gpt2-small and llama-110m bf16 decode sequences (docs/benchmarks.md). Leftover
    // rows (and machines without Vector512) take the one-row dot; every path has the dot's arithmetic.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Groups(int s, int e, int n, int k, float alpha, float* wf, ushort* wb, long ldw, float* x, float beta, float* y)
    {
        long r0 = s * 4L, rows = Math.Min(e * 4L, n) - r0;
        long q = Vector512.IsHardwareAccelerated && k >= 32 ? rows / 8 : 0, stride = 2 * q * ldw;
        for (long i = 0; i < q; i++)
        {
            long r = r0 + 2 * i;
            if (wb != null) Rows2x4Bf16(k, wb + r * ldw, stride, ldw, x, y + r, 2 * q, alpha, beta);
            else Rows2x4(k, wf + r * ldw, stride, ldw, x, y + r, 2 * q, alpha, beta);
        }
        for (long r = r0 + 8 * q; r < r0 + rows; r++)
        {
            float s1 = wb != null ? DotBf16(k, wb + r * ldw, x) : Dot(k, wf + r * ldw, x);
            y[r] = Finish(s1, alpha, beta, y[r]);
        }
    }

    private static float Finish(float s, float alpha, float beta, float y) => beta == 0 ? alpha * s : alpha * s + beta * y;

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

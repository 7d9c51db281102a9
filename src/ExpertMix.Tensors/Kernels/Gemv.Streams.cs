// GEMV kernels for the decode path: two rows from each of four distant streams per step (more DRAM lines in flight per core).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

public static unsafe partial class Gemv
{
    /// <summary>
    /// Eight rows of an f32 weight, two from each of four streams: stream j holds rows at w + j·stride and
    /// w + j·stride + ldw, and writes y[j·ystride] and y[j·ystride + 1] = alpha·Σₚ row[p]·x[p] + beta·(old). Each row
    /// has exactly the arithmetic of <see cref="Dot"/> (two Vector512 accumulators over alternate 16-lane blocks,
    /// Sum(a0 + a1), then the scalar tail), so the result does not depend on which kernel or thread reduced it.
    /// Requires Vector512 and k ≥ 32. Each stream sweeps a software prefetch over its next row pair (4 lines per step).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows2x4(int k, float* w, long stride, long ldw, float* x, float* y, long ystride, float alpha, float beta)
    {
        float* w0 = w, w1 = w + stride, w2 = w + 2 * stride, w3 = w + 3 * stride;
        Vector512<float> a00 = default, a01 = default, b00 = default, b01 = default, a10 = default, a11 = default, b10 = default, b11 = default, a20 = default, a21 = default, b20 = default, b21 = default, a30 = default, a31 = default, b30 = default, b31 = default;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            float* pf0 = w0 + 2 * ldw + 2 * p; // prefetches never fault, even past the end of W
            float* pf1 = w1 + 2 * ldw + 2 * p;
            float* pf2 = w2 + 2 * ldw + 2 * p;
            float* pf3 = w3 + 2 * ldw + 2 * p;
            Sse.Prefetch0(pf0);
            Sse.Prefetch0(pf0 + 16);
            Sse.Prefetch0(pf0 + 32);
            Sse.Prefetch0(pf0 + 48);
            a00 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + p), x0, a00);
            a01 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + p + 16), x1, a01);
            b00 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + ldw + p), x0, b00);
            b01 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + ldw + p + 16), x1, b01);
            Sse.Prefetch0(pf1);
            Sse.Prefetch0(pf1 + 16);
            Sse.Prefetch0(pf1 + 32);
            Sse.Prefetch0(pf1 + 48);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + p), x0, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + p + 16), x1, a11);
            b10 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + ldw + p), x0, b10);
            b11 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + ldw + p + 16), x1, b11);
            Sse.Prefetch0(pf2);
            Sse.Prefetch0(pf2 + 16);
            Sse.Prefetch0(pf2 + 32);
            Sse.Prefetch0(pf2 + 48);
            a20 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + p), x0, a20);
            a21 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + p + 16), x1, a21);
            b20 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + ldw + p), x0, b20);
            b21 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + ldw + p + 16), x1, b21);
            Sse.Prefetch0(pf3);
            Sse.Prefetch0(pf3 + 16);
            Sse.Prefetch0(pf3 + 32);
            Sse.Prefetch0(pf3 + 48);
            a30 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + p), x0, a30);
            a31 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + p + 16), x1, a31);
            b30 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + ldw + p), x0, b30);
            b31 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + ldw + p + 16), x1, b31);
        }
        // Reduce every accumulator before the first call: vectors live across a call are spilled (NativeAOT's allocator
        // spilled them inside the loop, on every update, costing 25% of the kernel's speed).
        float s0a = Vector512.Sum(a00 + a01), s0b = Vector512.Sum(b00 + b01), s1a = Vector512.Sum(a10 + a11), s1b = Vector512.Sum(b10 + b11), s2a = Vector512.Sum(a20 + a21), s2b = Vector512.Sum(b20 + b21), s3a = Vector512.Sum(a30 + a31), s3b = Vector512.Sum(b30 + b31);
        FinishRows2(k, p, w0, ldw, x, y + 0 * ystride, alpha, beta, s0a, s0b);
        FinishRows2(k, p, w1, ldw, x, y + 1 * ystride, alpha, beta, s1a, s1b);
        FinishRows2(k, p, w2, ldw, x, y + 2 * ystride, alpha, beta, s2a, s2b);
        FinishRows2(k, p, w3, ldw, x, y + 3 * ystride, alpha, beta, s3a, s3b);
    }

    /// <summary>As <see cref="Rows2x4"/> for a bf16 weight (raw bits, widened exactly), with <see cref="DotBf16"/>'s
    /// arithmetic; each stream prefetches two row pairs ahead (a bf16 pair is half the bytes), 2 lines per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows2x4Bf16(int k, ushort* w, long stride, long ldw, float* x, float* y, long ystride, float alpha, float beta)
    {
        ushort* w0 = w, w1 = w + stride, w2 = w + 2 * stride, w3 = w + 3 * stride;
        Vector512<float> a00 = default, a01 = default, b00 = default, b01 = default, a10 = default, a11 = default, b10 = default, b11 = default, a20 = default, a21 = default, b20 = default, b21 = default, a30 = default, a31 = default, b30 = default, b31 = default;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            ushort* pf0 = w0 + 4 * ldw + 2 * p; // prefetches never fault, even past the end of W
            ushort* pf1 = w1 + 4 * ldw + 2 * p;
            ushort* pf2 = w2 + 4 * ldw + 2 * p;
            ushort* pf3 = w3 + 4 * ldw + 2 * p;
            Sse.Prefetch0(pf0);
            Sse.Prefetch0(pf0 + 32);
            var t0 = Vector512.Load(w0 + p);
            a00 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t0)), x0, a00);
            a01 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t0)), x1, a01);
            t0 = Vector512.Load(w0 + ldw + p);
            b00 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t0)), x0, b00);
            b01 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t0)), x1, b01);
            Sse.Prefetch0(pf1);
            Sse.Prefetch0(pf1 + 32);
            var t1 = Vector512.Load(w1 + p);
            a10 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t1)), x0, a10);
            a11 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t1)), x1, a11);
            t1 = Vector512.Load(w1 + ldw + p);
            b10 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t1)), x0, b10);
            b11 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t1)), x1, b11);
            Sse.Prefetch0(pf2);
            Sse.Prefetch0(pf2 + 32);
            var t2 = Vector512.Load(w2 + p);
            a20 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t2)), x0, a20);
            a21 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t2)), x1, a21);
            t2 = Vector512.Load(w2 + ldw + p);
            b20 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t2)), x0, b20);
            b21 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t2)), x1, b21);
            Sse.Prefetch0(pf3);
            Sse.Prefetch0(pf3 + 32);
            var t3 = Vector512.Load(w3 + p);
            a30 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t3)), x0, a30);
            a31 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t3)), x1, a31);
            t3 = Vector512.Load(w3 + ldw + p);
            b30 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(t3)), x0, b30);
            b31 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(t3)), x1, b31);
        }
        // Reduce every accumulator before the first call: vectors live across a call are spilled (NativeAOT's allocator
        // spilled them inside the loop, on every update, costing 25% of the kernel's speed).
        float s0a = Vector512.Sum(a00 + a01), s0b = Vector512.Sum(b00 + b01), s1a = Vector512.Sum(a10 + a11), s1b = Vector512.Sum(b10 + b11), s2a = Vector512.Sum(a20 + a21), s2b = Vector512.Sum(b20 + b21), s3a = Vector512.Sum(a30 + a31), s3b = Vector512.Sum(b30 + b31);
        FinishRows2Bf16(k, p, w0, ldw, x, y + 0 * ystride, alpha, beta, s0a, s0b);
        FinishRows2Bf16(k, p, w1, ldw, x, y + 1 * ystride, alpha, beta, s1a, s1b);
        FinishRows2Bf16(k, p, w2, ldw, x, y + 2 * ystride, alpha, beta, s2a, s2b);
        FinishRows2Bf16(k, p, w3, ldw, x, y + 3 * ystride, alpha, beta, s3a, s3b);
    }

    /// <summary>bf16 bits (zero-extended to 32) → f32: the bits shifted into the high half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> bits) => Vector512.ShiftLeft(bits, 16).AsSingle();

    // The scalar tail of two rows from column p, then y[r] = alpha·s + beta·y[r].
    private static void FinishRows2(int k, int p, float* w, long ldw, float* x, float* y, float alpha, float beta, float s0, float s1)
    {
        for (; p < k; p++)
        {
            s0 += w[p] * x[p];
            s1 += w[ldw + p] * x[p];
        }
        y[0] = Finish(s0, alpha, beta, y[0]);
        y[1] = Finish(s1, alpha, beta, y[1]);
    }

    private static void FinishRows2Bf16(int k, int p, ushort* w, long ldw, float* x, float* y, float alpha, float beta, float s0, float s1)
    {
        for (; p < k; p++)
        {
            s0 += BitConverter.Int32BitsToSingle(w[p] << 16) * x[p];
            s1 += BitConverter.Int32BitsToSingle(w[ldw + p] << 16) * x[p];
        }
        y[0] = Finish(s0, alpha, beta, y[0]);
        y[1] = Finish(s1, alpha, beta, y[1]);
    }
}

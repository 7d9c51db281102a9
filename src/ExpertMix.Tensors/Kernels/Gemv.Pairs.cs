// GEMV kernels that reduce two distant four-row groups at once: two read streams per core instead of one.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

public static unsafe partial class Gemv
{
    /// <summary>
    /// Rows v[0..4) (at <paramref name="v"/>) and u[0..4) (at <paramref name="u"/>) of an f32 weight: y[r] and z[r] get
    /// alpha·Σₚ row[p]·x[p] + beta·(old), each row with exactly the arithmetic of <see cref="Dot"/> (two Vector512
    /// accumulators over alternate 16-lane blocks, Sum(a0 + a1), then the scalar tail). Requires Vector512 and k ≥ 32.
    /// Each stream sweeps a software prefetch over its next four-row block (8 lines per step), as <see cref="Rows4"/> does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4x2(int k, float* v, float* u, long ldw, float* x, float* y, float* z, float alpha, float beta)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        float* nv = v + 4 * ldw, nu = u + 4 * ldw;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            float* pv = nv + 4 * p, pu = nu + 4 * p; // prefetches never fault, even past the end of W
            Sse.Prefetch0(pv);
            Sse.Prefetch0(pv + 16);
            Sse.Prefetch0(pu);
            Sse.Prefetch0(pu + 16);
            a00 = Vector512.FusedMultiplyAdd(Vector512.Load(v + p), x0, a00);
            a01 = Vector512.FusedMultiplyAdd(Vector512.Load(v + p + 16), x1, a01);
            c00 = Vector512.FusedMultiplyAdd(Vector512.Load(u + p), x0, c00);
            c01 = Vector512.FusedMultiplyAdd(Vector512.Load(u + p + 16), x1, c01);
            Sse.Prefetch0(pv + 32);
            Sse.Prefetch0(pv + 48);
            Sse.Prefetch0(pu + 32);
            Sse.Prefetch0(pu + 48);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(v + ldw + p), x0, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(v + ldw + p + 16), x1, a11);
            c10 = Vector512.FusedMultiplyAdd(Vector512.Load(u + ldw + p), x0, c10);
            c11 = Vector512.FusedMultiplyAdd(Vector512.Load(u + ldw + p + 16), x1, c11);
            Sse.Prefetch0(pv + 64);
            Sse.Prefetch0(pv + 80);
            Sse.Prefetch0(pu + 64);
            Sse.Prefetch0(pu + 80);
            a20 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 2 * ldw + p), x0, a20);
            a21 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 2 * ldw + p + 16), x1, a21);
            c20 = Vector512.FusedMultiplyAdd(Vector512.Load(u + 2 * ldw + p), x0, c20);
            c21 = Vector512.FusedMultiplyAdd(Vector512.Load(u + 2 * ldw + p + 16), x1, c21);
            Sse.Prefetch0(pv + 96);
            Sse.Prefetch0(pv + 112);
            Sse.Prefetch0(pu + 96);
            Sse.Prefetch0(pu + 112);
            a30 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 3 * ldw + p), x0, a30);
            a31 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 3 * ldw + p + 16), x1, a31);
            c30 = Vector512.FusedMultiplyAdd(Vector512.Load(u + 3 * ldw + p), x0, c30);
            c31 = Vector512.FusedMultiplyAdd(Vector512.Load(u + 3 * ldw + p + 16), x1, c31);
        }
        FinishPair(k, p, v, ldw, x, y, alpha, beta, Vector512.Sum(a00 + a01), Vector512.Sum(a10 + a11), Vector512.Sum(a20 + a21), Vector512.Sum(a30 + a31));
        FinishPair(k, p, u, ldw, x, z, alpha, beta, Vector512.Sum(c00 + c01), Vector512.Sum(c10 + c11), Vector512.Sum(c20 + c21), Vector512.Sum(c30 + c31));
    }

    /// <summary>As <see cref="Rows4x2"/> for a bf16 weight (raw bits widened exactly), with <see cref="DotBf16"/>'s arithmetic;
    /// each stream prefetches two row groups ahead (4 lines per step), as <see cref="Rows4Bf16"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4x2Bf16(int k, ushort* v, ushort* u, long ldw, float* x, float* y, float* z, float alpha, float beta)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        ushort* nv = v + 8 * ldw, nu = u + 8 * ldw;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            ushort* pv = nv + 4 * p, pu = nu + 4 * p; // prefetches never fault, even past the end of W
            Sse.Prefetch0(pv);
            Sse.Prefetch0(pu);
            var b = Vector512.Load(v + p);
            a00 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, a00);
            a01 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, a01);
            b = Vector512.Load(u + p);
            c00 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, c00);
            c01 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, c01);
            Sse.Prefetch0(pv + 32);
            Sse.Prefetch0(pu + 32);
            b = Vector512.Load(v + ldw + p);
            a10 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, a10);
            a11 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, a11);
            b = Vector512.Load(u + ldw + p);
            c10 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, c10);
            c11 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, c11);
            Sse.Prefetch0(pv + 64);
            Sse.Prefetch0(pu + 64);
            b = Vector512.Load(v + 2 * ldw + p);
            a20 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, a20);
            a21 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, a21);
            b = Vector512.Load(u + 2 * ldw + p);
            c20 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, c20);
            c21 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, c21);
            Sse.Prefetch0(pv + 96);
            Sse.Prefetch0(pu + 96);
            b = Vector512.Load(v + 3 * ldw + p);
            a30 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, a30);
            a31 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, a31);
            b = Vector512.Load(u + 3 * ldw + p);
            c30 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenLower(b)), x0, c30);
            c31 = Vector512.FusedMultiplyAdd(Widen(Vector512.WidenUpper(b)), x1, c31);
        }
        FinishPairBf16(k, p, v, ldw, x, y, alpha, beta, Vector512.Sum(a00 + a01), Vector512.Sum(a10 + a11), Vector512.Sum(a20 + a21), Vector512.Sum(a30 + a31));
        FinishPairBf16(k, p, u, ldw, x, z, alpha, beta, Vector512.Sum(c00 + c01), Vector512.Sum(c10 + c11), Vector512.Sum(c20 + c21), Vector512.Sum(c30 + c31));
    }

    /// <summary>bf16 bits (zero-extended to 32) → f32: the bits shifted into the high half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> bits) => Vector512.ShiftLeft(bits, 16).AsSingle();

    // The scalar tail of four rows from column p, then y[r] = alpha·s + beta·y[r]: Rows4's epilogue.
    private static void FinishPair(int k, int p, float* w, long ldw, float* x, float* y, float alpha, float beta, float s0, float s1, float s2, float s3)
    {
        for (; p < k; p++)
        {
            float xp = x[p];
            s0 += w[p] * xp;
            s1 += w[ldw + p] * xp;
            s2 += w[2 * ldw + p] * xp;
            s3 += w[3 * ldw + p] * xp;
        }
        y[0] = Finish(s0, alpha, beta, y[0]);
        y[1] = Finish(s1, alpha, beta, y[1]);
        y[2] = Finish(s2, alpha, beta, y[2]);
        y[3] = Finish(s3, alpha, beta, y[3]);
    }

    private static void FinishPairBf16(int k, int p, ushort* w, long ldw, float* x, float* y, float alpha, float beta, float s0, float s1, float s2, float s3)
    {
        for (; p < k; p++)
        {
            float xp = x[p];
            s0 += BitConverter.Int32BitsToSingle(w[p] << 16) * xp;
            s1 += BitConverter.Int32BitsToSingle(w[ldw + p] << 16) * xp;
            s2 += BitConverter.Int32BitsToSingle(w[2 * ldw + p] << 16) * xp;
            s3 += BitConverter.Int32BitsToSingle(w[3 * ldw + p] << 16) * xp;
        }
        y[0] = Finish(s0, alpha, beta, y[0]);
        y[1] = Finish(s1, alpha, beta, y[1]);
        y[2] = Finish(s2, alpha, beta, y[2]);
        y[3] = Finish(s3, alpha, beta, y[3]);
    }
}

// GEMM micro-kernels: MR×NR register tiles of f32 FMAs (Vector512 8×32, Vector256 6×16, Vector128 6×8, scalar 4×4).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

public static unsafe partial class Gemm
{
    // Each kernel computes acc[i, j] = Σₚ a[p·MR + i]·b[p·NR + j] for p = 0…kc-1 as one FMA chain per element, then
    // C[i, j] = alpha·acc (beta 0, C not read) or fma(acc, alpha, beta·C). Edge tiles (mr < MR or nr < NR) go
    // through a stack tile with the same per-element arithmetic, so values never depend on the tile position.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += 8;
            b += 32;
        }
        if (mr == 8 && nr == 32)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0)
            {
                (c00 * va).Store(c + 0 * ldc + 0);
                (c01 * va).Store(c + 0 * ldc + 16);
                (c10 * va).Store(c + 1 * ldc + 0);
                (c11 * va).Store(c + 1 * ldc + 16);
                (c20 * va).Store(c + 2 * ldc + 0);
                (c21 * va).Store(c + 2 * ldc + 16);
                (c30 * va).Store(c + 3 * ldc + 0);
                (c31 * va).Store(c + 3 * ldc + 16);
                (c40 * va).Store(c + 4 * ldc + 0);
                (c41 * va).Store(c + 4 * ldc + 16);
                (c50 * va).Store(c + 5 * ldc + 0);
                (c51 * va).Store(c + 5 * ldc + 16);
                (c60 * va).Store(c + 6 * ldc + 0);
                (c61 * va).Store(c + 6 * ldc + 16);
                (c70 * va).Store(c + 7 * ldc + 0);
                (c71 * va).Store(c + 7 * ldc + 16);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Vector512.FusedMultiplyAdd(c00, va, Vector512.Load(c + 0 * ldc + 0) * vb).Store(c + 0 * ldc + 0);
                Vector512.FusedMultiplyAdd(c01, va, Vector512.Load(c + 0 * ldc + 16) * vb).Store(c + 0 * ldc + 16);
                Vector512.FusedMultiplyAdd(c10, va, Vector512.Load(c + 1 * ldc + 0) * vb).Store(c + 1 * ldc + 0);
                Vector512.FusedMultiplyAdd(c11, va, Vector512.Load(c + 1 * ldc + 16) * vb).Store(c + 1 * ldc + 16);
                Vector512.FusedMultiplyAdd(c20, va, Vector512.Load(c + 2 * ldc + 0) * vb).Store(c + 2 * ldc + 0);
                Vector512.FusedMultiplyAdd(c21, va, Vector512.Load(c + 2 * ldc + 16) * vb).Store(c + 2 * ldc + 16);
                Vector512.FusedMultiplyAdd(c30, va, Vector512.Load(c + 3 * ldc + 0) * vb).Store(c + 3 * ldc + 0);
                Vector512.FusedMultiplyAdd(c31, va, Vector512.Load(c + 3 * ldc + 16) * vb).Store(c + 3 * ldc + 16);
                Vector512.FusedMultiplyAdd(c40, va, Vector512.Load(c + 4 * ldc + 0) * vb).Store(c + 4 * ldc + 0);
                Vector512.FusedMultiplyAdd(c41, va, Vector512.Load(c + 4 * ldc + 16) * vb).Store(c + 4 * ldc + 16);
                Vector512.FusedMultiplyAdd(c50, va, Vector512.Load(c + 5 * ldc + 0) * vb).Store(c + 5 * ldc + 0);
                Vector512.FusedMultiplyAdd(c51, va, Vector512.Load(c + 5 * ldc + 16) * vb).Store(c + 5 * ldc + 16);
                Vector512.FusedMultiplyAdd(c60, va, Vector512.Load(c + 6 * ldc + 0) * vb).Store(c + 6 * ldc + 0);
                Vector512.FusedMultiplyAdd(c61, va, Vector512.Load(c + 6 * ldc + 16) * vb).Store(c + 6 * ldc + 16);
                Vector512.FusedMultiplyAdd(c70, va, Vector512.Load(c + 7 * ldc + 0) * vb).Store(c + 7 * ldc + 0);
                Vector512.FusedMultiplyAdd(c71, va, Vector512.Load(c + 7 * ldc + 16) * vb).Store(c + 7 * ldc + 16);
            }
            return;
        }
        float* t = stackalloc float[256];
        c00.Store(t + 0);
        c01.Store(t + 16);
        c10.Store(t + 32);
        c11.Store(t + 48);
        c20.Store(t + 64);
        c21.Store(t + 80);
        c30.Store(t + 96);
        c31.Store(t + 112);
        c40.Store(t + 128);
        c41.Store(t + 144);
        c50.Store(t + 160);
        c51.Store(t + 176);
        c60.Store(t + 192);
        c61.Store(t + 208);
        c70.Store(t + 224);
        c71.Store(t + 240);
        StoreTile(t, 32, c, ldc, alpha, beta, mr, nr, fused: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }
        if (mr == 6 && nr == 16)
        {
            var va = Vector256.Create(alpha);
            if (beta == 0)
            {
                (c00 * va).Store(c + 0 * ldc + 0);
                (c01 * va).Store(c + 0 * ldc + 8);
                (c10 * va).Store(c + 1 * ldc + 0);
                (c11 * va).Store(c + 1 * ldc + 8);
                (c20 * va).Store(c + 2 * ldc + 0);
                (c21 * va).Store(c + 2 * ldc + 8);
                (c30 * va).Store(c + 3 * ldc + 0);
                (c31 * va).Store(c + 3 * ldc + 8);
                (c40 * va).Store(c + 4 * ldc + 0);
                (c41 * va).Store(c + 4 * ldc + 8);
                (c50 * va).Store(c + 5 * ldc + 0);
                (c51 * va).Store(c + 5 * ldc + 8);
            }
            else
            {
                var vb = Vector256.Create(beta);
                Vector256.FusedMultiplyAdd(c00, va, Vector256.Load(c + 0 * ldc + 0) * vb).Store(c + 0 * ldc + 0);
                Vector256.FusedMultiplyAdd(c01, va, Vector256.Load(c + 0 * ldc + 8) * vb).Store(c + 0 * ldc + 8);
                Vector256.FusedMultiplyAdd(c10, va, Vector256.Load(c + 1 * ldc + 0) * vb).Store(c + 1 * ldc + 0);
                Vector256.FusedMultiplyAdd(c11, va, Vector256.Load(c + 1 * ldc + 8) * vb).Store(c + 1 * ldc + 8);
                Vector256.FusedMultiplyAdd(c20, va, Vector256.Load(c + 2 * ldc + 0) * vb).Store(c + 2 * ldc + 0);
                Vector256.FusedMultiplyAdd(c21, va, Vector256.Load(c + 2 * ldc + 8) * vb).Store(c + 2 * ldc + 8);
                Vector256.FusedMultiplyAdd(c30, va, Vector256.Load(c + 3 * ldc + 0) * vb).Store(c + 3 * ldc + 0);
                Vector256.FusedMultiplyAdd(c31, va, Vector256.Load(c + 3 * ldc + 8) * vb).Store(c + 3 * ldc + 8);
                Vector256.FusedMultiplyAdd(c40, va, Vector256.Load(c + 4 * ldc + 0) * vb).Store(c + 4 * ldc + 0);
                Vector256.FusedMultiplyAdd(c41, va, Vector256.Load(c + 4 * ldc + 8) * vb).Store(c + 4 * ldc + 8);
                Vector256.FusedMultiplyAdd(c50, va, Vector256.Load(c + 5 * ldc + 0) * vb).Store(c + 5 * ldc + 0);
                Vector256.FusedMultiplyAdd(c51, va, Vector256.Load(c + 5 * ldc + 8) * vb).Store(c + 5 * ldc + 8);
            }
            return;
        }
        float* t = stackalloc float[96];
        c00.Store(t + 0);
        c01.Store(t + 8);
        c10.Store(t + 16);
        c11.Store(t + 24);
        c20.Store(t + 32);
        c21.Store(t + 40);
        c30.Store(t + 48);
        c31.Store(t + 56);
        c40.Store(t + 64);
        c41.Store(t + 72);
        c50.Store(t + 80);
        c51.Store(t + 88);
        StoreTile(t, 16, c, ldc, alpha, beta, mr, nr, fused: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x8(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b + 0);
            var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c00 = Vector128.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector128.Create(a[1]);
            c10 = Vector128.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector128.Create(a[2]);
            c20 = Vector128.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector128.Create(a[3]);
            c30 = Vector128.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector128.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector128.Create(a[4]);
            c40 = Vector128.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector128.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector128.Create(a[5]);
            c50 = Vector128.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector128.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 8;
        }
        if (mr == 6 && nr == 8)
        {
            var va = Vector128.Create(alpha);
            if (beta == 0)
            {
                (c00 * va).Store(c + 0 * ldc + 0);
                (c01 * va).Store(c + 0 * ldc + 4);
                (c10 * va).Store(c + 1 * ldc + 0);
                (c11 * va).Store(c + 1 * ldc + 4);
                (c20 * va).Store(c + 2 * ldc + 0);
                (c21 * va).Store(c + 2 * ldc + 4);
                (c30 * va).Store(c + 3 * ldc + 0);
                (c31 * va).Store(c + 3 * ldc + 4);
                (c40 * va).Store(c + 4 * ldc + 0);
                (c41 * va).Store(c + 4 * ldc + 4);
                (c50 * va).Store(c + 5 * ldc + 0);
                (c51 * va).Store(c + 5 * ldc + 4);
            }
            else
            {
                var vb = Vector128.Create(beta);
                Vector128.FusedMultiplyAdd(c00, va, Vector128.Load(c + 0 * ldc + 0) * vb).Store(c + 0 * ldc + 0);
                Vector128.FusedMultiplyAdd(c01, va, Vector128.Load(c + 0 * ldc + 4) * vb).Store(c + 0 * ldc + 4);
                Vector128.FusedMultiplyAdd(c10, va, Vector128.Load(c + 1 * ldc + 0) * vb).Store(c + 1 * ldc + 0);
                Vector128.FusedMultiplyAdd(c11, va, Vector128.Load(c + 1 * ldc + 4) * vb).Store(c + 1 * ldc + 4);
                Vector128.FusedMultiplyAdd(c20, va, Vector128.Load(c + 2 * ldc + 0) * vb).Store(c + 2 * ldc + 0);
                Vector128.FusedMultiplyAdd(c21, va, Vector128.Load(c + 2 * ldc + 4) * vb).Store(c + 2 * ldc + 4);
                Vector128.FusedMultiplyAdd(c30, va, Vector128.Load(c + 3 * ldc + 0) * vb).Store(c + 3 * ldc + 0);
                Vector128.FusedMultiplyAdd(c31, va, Vector128.Load(c + 3 * ldc + 4) * vb).Store(c + 3 * ldc + 4);
                Vector128.FusedMultiplyAdd(c40, va, Vector128.Load(c + 4 * ldc + 0) * vb).Store(c + 4 * ldc + 0);
                Vector128.FusedMultiplyAdd(c41, va, Vector128.Load(c + 4 * ldc + 4) * vb).Store(c + 4 * ldc + 4);
                Vector128.FusedMultiplyAdd(c50, va, Vector128.Load(c + 5 * ldc + 0) * vb).Store(c + 5 * ldc + 0);
                Vector128.FusedMultiplyAdd(c51, va, Vector128.Load(c + 5 * ldc + 4) * vb).Store(c + 5 * ldc + 4);
            }
            return;
        }
        float* t = stackalloc float[48];
        c00.Store(t + 0);
        c01.Store(t + 4);
        c10.Store(t + 8);
        c11.Store(t + 12);
        c20.Store(t + 16);
        c21.Store(t + 20);
        c30.Store(t + 24);
        c31.Store(t + 28);
        c40.Store(t + 32);
        c41.Store(t + 36);
        c50.Store(t + 40);
        c51.Store(t + 44);
        StoreTile(t, 8, c, ldc, alpha, beta, mr, nr, fused: true);
    }

    /// <summary>Scalar twin of the micro-kernels (4×4 tile, unfused multiply-add: used when no FMA hardware exists).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4Scalar(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        float* t = stackalloc float[16];
        new Span<float>(t, 16).Clear();
        for (int p = 0; p < kc; p++, a += 4, b += 4)
        {
            for (int i = 0; i < 4; i++)
            {
                float ai = a[i];
                for (int j = 0; j < 4; j++) t[i * 4 + j] += ai * b[j];
            }
        }
        StoreTile(t, 4, c, ldc, alpha, beta, mr, nr, fused: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreTile(float* t, int ldt, float* c, long ldc, float alpha, float beta, int mr, int nr, bool fused)
    {
        for (int i = 0; i < mr; i++)
        {
            float* row = c + i * ldc;
            for (int j = 0; j < nr; j++)
            {
                float v = t[i * ldt + j];
                row[j] = beta == 0 ? v * alpha : fused ? MathF.FusedMultiplyAdd(v, alpha, row[j] * beta) : v * alpha + row[j] * beta;
            }
        }
    }
}

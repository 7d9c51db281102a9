// GEMM micro-kernels: MR×NR register tiles of f32 FMAs (Vector512 8×48, Vector256 6×16, Vector128 6×8, scalar 4×4).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

public static unsafe partial class Gemm
{
    // Each kernel computes acc[i, j] = Σₚ a[p·MR + i]·b[p·NR + j] for p = 0…kc-1 as one FMA chain per element, then
    // C[i, j] = alpha·acc (beta 0, C not read) or fma(acc, alpha, beta·C). Edge tiles (mr < MR or nr < NR) go
    // through a stack tile with the same per-element arithmetic, so values never depend on the tile position.

    // AVX-512: 8×48 = 24 accumulators; per k step 3 B loads + 8 broadcasts feed 24 FMAs. Measured faster than 12×32
    // (14 loads per 24 FMAs), 24×16 and a duplicated-A 12×32 with embedded {1to16} broadcasts (load-bound on Zen 5).
    // The C tile is prefetched 48 steps before the loop ends (earlier prefetches get evicted when ldc is a multiple
    // of 4 KB and all tile rows share L1 sets).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the edge tile's stackalloc must not call a memset: a call there made accumulators spill in the k loop
    private static void Kernel8x48(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        Vector512<float> c000 = default, c001 = default, c002 = default, c010 = default, c011 = default, c012 = default, c020 = default, c021 = default, c022 = default, c030 = default, c031 = default, c032 = default, c040 = default, c041 = default, c042 = default, c050 = default, c051 = default, c052 = default, c060 = default, c061 = default, c062 = default, c070 = default, c071 = default, c072 = default;
        int p = 0, split = Math.Max(0, kc - 48);
        for (; p < split; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var a00 = Vector512.Create(a[0]);
            c000 = Vector512.FusedMultiplyAdd(a00, b0, c000);
            c001 = Vector512.FusedMultiplyAdd(a00, b1, c001);
            c002 = Vector512.FusedMultiplyAdd(a00, b2, c002);
            var a01 = Vector512.Create(a[1]);
            c010 = Vector512.FusedMultiplyAdd(a01, b0, c010);
            c011 = Vector512.FusedMultiplyAdd(a01, b1, c011);
            c012 = Vector512.FusedMultiplyAdd(a01, b2, c012);
            var a02 = Vector512.Create(a[2]);
            c020 = Vector512.FusedMultiplyAdd(a02, b0, c020);
            c021 = Vector512.FusedMultiplyAdd(a02, b1, c021);
            c022 = Vector512.FusedMultiplyAdd(a02, b2, c022);
            var a03 = Vector512.Create(a[3]);
            c030 = Vector512.FusedMultiplyAdd(a03, b0, c030);
            c031 = Vector512.FusedMultiplyAdd(a03, b1, c031);
            c032 = Vector512.FusedMultiplyAdd(a03, b2, c032);
            var a04 = Vector512.Create(a[4]);
            c040 = Vector512.FusedMultiplyAdd(a04, b0, c040);
            c041 = Vector512.FusedMultiplyAdd(a04, b1, c041);
            c042 = Vector512.FusedMultiplyAdd(a04, b2, c042);
            var a05 = Vector512.Create(a[5]);
            c050 = Vector512.FusedMultiplyAdd(a05, b0, c050);
            c051 = Vector512.FusedMultiplyAdd(a05, b1, c051);
            c052 = Vector512.FusedMultiplyAdd(a05, b2, c052);
            var a06 = Vector512.Create(a[6]);
            c060 = Vector512.FusedMultiplyAdd(a06, b0, c060);
            c061 = Vector512.FusedMultiplyAdd(a06, b1, c061);
            c062 = Vector512.FusedMultiplyAdd(a06, b2, c062);
            var a07 = Vector512.Create(a[7]);
            c070 = Vector512.FusedMultiplyAdd(a07, b0, c070);
            c071 = Vector512.FusedMultiplyAdd(a07, b1, c071);
            c072 = Vector512.FusedMultiplyAdd(a07, b2, c072);
            a += 8;
            b += 48;
        }
        for (int i = 0; i < 8; i++)
        {
            float* ci = c + i * ldc;
            Sse.Prefetch0(ci + 0);
            Sse.Prefetch0(ci + 16);
            Sse.Prefetch0(ci + 32);
            Sse.Prefetch0(ci + 47);
        }
        for (; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var a00 = Vector512.Create(a[0]);
            c000 = Vector512.FusedMultiplyAdd(a00, b0, c000);
            c001 = Vector512.FusedMultiplyAdd(a00, b1, c001);
            c002 = Vector512.FusedMultiplyAdd(a00, b2, c002);
            var a01 = Vector512.Create(a[1]);
            c010 = Vector512.FusedMultiplyAdd(a01, b0, c010);
            c011 = Vector512.FusedMultiplyAdd(a01, b1, c011);
            c012 = Vector512.FusedMultiplyAdd(a01, b2, c012);
            var a02 = Vector512.Create(a[2]);
            c020 = Vector512.FusedMultiplyAdd(a02, b0, c020);
            c021 = Vector512.FusedMultiplyAdd(a02, b1, c021);
            c022 = Vector512.FusedMultiplyAdd(a02, b2, c022);
            var a03 = Vector512.Create(a[3]);
            c030 = Vector512.FusedMultiplyAdd(a03, b0, c030);
            c031 = Vector512.FusedMultiplyAdd(a03, b1, c031);
            c032 = Vector512.FusedMultiplyAdd(a03, b2, c032);
            var a04 = Vector512.Create(a[4]);
            c040 = Vector512.FusedMultiplyAdd(a04, b0, c040);
            c041 = Vector512.FusedMultiplyAdd(a04, b1, c041);
            c042 = Vector512.FusedMultiplyAdd(a04, b2, c042);
            var a05 = Vector512.Create(a[5]);
            c050 = Vector512.FusedMultiplyAdd(a05, b0, c050);
            c051 = Vector512.FusedMultiplyAdd(a05, b1, c051);
            c052 = Vector512.FusedMultiplyAdd(a05, b2, c052);
            var a06 = Vector512.Create(a[6]);
            c060 = Vector512.FusedMultiplyAdd(a06, b0, c060);
            c061 = Vector512.FusedMultiplyAdd(a06, b1, c061);
            c062 = Vector512.FusedMultiplyAdd(a06, b2, c062);
            var a07 = Vector512.Create(a[7]);
            c070 = Vector512.FusedMultiplyAdd(a07, b0, c070);
            c071 = Vector512.FusedMultiplyAdd(a07, b1, c071);
            c072 = Vector512.FusedMultiplyAdd(a07, b2, c072);
            a += 8;
            b += 48;
        }
        if (mr == 8 && nr == 48)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0)
            {
                (c000 * va).Store(c + 0 * ldc + 0);
                (c001 * va).Store(c + 0 * ldc + 16);
                (c002 * va).Store(c + 0 * ldc + 32);
                (c010 * va).Store(c + 1 * ldc + 0);
                (c011 * va).Store(c + 1 * ldc + 16);
                (c012 * va).Store(c + 1 * ldc + 32);
                (c020 * va).Store(c + 2 * ldc + 0);
                (c021 * va).Store(c + 2 * ldc + 16);
                (c022 * va).Store(c + 2 * ldc + 32);
                (c030 * va).Store(c + 3 * ldc + 0);
                (c031 * va).Store(c + 3 * ldc + 16);
                (c032 * va).Store(c + 3 * ldc + 32);
                (c040 * va).Store(c + 4 * ldc + 0);
                (c041 * va).Store(c + 4 * ldc + 16);
                (c042 * va).Store(c + 4 * ldc + 32);
                (c050 * va).Store(c + 5 * ldc + 0);
                (c051 * va).Store(c + 5 * ldc + 16);
                (c052 * va).Store(c + 5 * ldc + 32);
                (c060 * va).Store(c + 6 * ldc + 0);
                (c061 * va).Store(c + 6 * ldc + 16);
                (c062 * va).Store(c + 6 * ldc + 32);
                (c070 * va).Store(c + 7 * ldc + 0);
                (c071 * va).Store(c + 7 * ldc + 16);
                (c072 * va).Store(c + 7 * ldc + 32);
            }
            else
            {
                var vb = Vector512.Create(beta);
                Vector512.FusedMultiplyAdd(c000, va, Vector512.Load(c + 0 * ldc + 0) * vb).Store(c + 0 * ldc + 0);
                Vector512.FusedMultiplyAdd(c001, va, Vector512.Load(c + 0 * ldc + 16) * vb).Store(c + 0 * ldc + 16);
                Vector512.FusedMultiplyAdd(c002, va, Vector512.Load(c + 0 * ldc + 32) * vb).Store(c + 0 * ldc + 32);
                Vector512.FusedMultiplyAdd(c010, va, Vector512.Load(c + 1 * ldc + 0) * vb).Store(c + 1 * ldc + 0);
                Vector512.FusedMultiplyAdd(c011, va, Vector512.Load(c + 1 * ldc + 16) * vb).Store(c + 1 * ldc + 16);
                Vector512.FusedMultiplyAdd(c012, va, Vector512.Load(c + 1 * ldc + 32) * vb).Store(c + 1 * ldc + 32);
                Vector512.FusedMultiplyAdd(c020, va, Vector512.Load(c + 2 * ldc + 0) * vb).Store(c + 2 * ldc + 0);
                Vector512.FusedMultiplyAdd(c021, va, Vector512.Load(c + 2 * ldc + 16) * vb).Store(c + 2 * ldc + 16);
                Vector512.FusedMultiplyAdd(c022, va, Vector512.Load(c + 2 * ldc + 32) * vb).Store(c + 2 * ldc + 32);
                Vector512.FusedMultiplyAdd(c030, va, Vector512.Load(c + 3 * ldc + 0) * vb).Store(c + 3 * ldc + 0);
                Vector512.FusedMultiplyAdd(c031, va, Vector512.Load(c + 3 * ldc + 16) * vb).Store(c + 3 * ldc + 16);
                Vector512.FusedMultiplyAdd(c032, va, Vector512.Load(c + 3 * ldc + 32) * vb).Store(c + 3 * ldc + 32);
                Vector512.FusedMultiplyAdd(c040, va, Vector512.Load(c + 4 * ldc + 0) * vb).Store(c + 4 * ldc + 0);
                Vector512.FusedMultiplyAdd(c041, va, Vector512.Load(c + 4 * ldc + 16) * vb).Store(c + 4 * ldc + 16);
                Vector512.FusedMultiplyAdd(c042, va, Vector512.Load(c + 4 * ldc + 32) * vb).Store(c + 4 * ldc + 32);
                Vector512.FusedMultiplyAdd(c050, va, Vector512.Load(c + 5 * ldc + 0) * vb).Store(c + 5 * ldc + 0);
                Vector512.FusedMultiplyAdd(c051, va, Vector512.Load(c + 5 * ldc + 16) * vb).Store(c + 5 * ldc + 16);
                Vector512.FusedMultiplyAdd(c052, va, Vector512.Load(c + 5 * ldc + 32) * vb).Store(c + 5 * ldc + 32);
                Vector512.FusedMultiplyAdd(c060, va, Vector512.Load(c + 6 * ldc + 0) * vb).Store(c + 6 * ldc + 0);
                Vector512.FusedMultiplyAdd(c061, va, Vector512.Load(c + 6 * ldc + 16) * vb).Store(c + 6 * ldc + 16);
                Vector512.FusedMultiplyAdd(c062, va, Vector512.Load(c + 6 * ldc + 32) * vb).Store(c + 6 * ldc + 32);
                Vector512.FusedMultiplyAdd(c070, va, Vector512.Load(c + 7 * ldc + 0) * vb).Store(c + 7 * ldc + 0);
                Vector512.FusedMultiplyAdd(c071, va, Vector512.Load(c + 7 * ldc + 16) * vb).Store(c + 7 * ldc + 16);
                Vector512.FusedMultiplyAdd(c072, va, Vector512.Load(c + 7 * ldc + 32) * vb).Store(c + 7 * ldc + 32);
            }
            return;
        }
        float* t = stackalloc float[384];
        c000.Store(t + 0);
        c001.Store(t + 16);
        c002.Store(t + 32);
        c010.Store(t + 48);
        c011.Store(t + 64);
        c012.Store(t + 80);
        c020.Store(t + 96);
        c021.Store(t + 112);
        c022.Store(t + 128);
        c030.Store(t + 144);
        c031.Store(t + 160);
        c032.Store(t + 176);
        c040.Store(t + 192);
        c041.Store(t + 208);
        c042.Store(t + 224);
        c050.Store(t + 240);
        c051.Store(t + 256);
        c052.Store(t + 272);
        c060.Store(t + 288);
        c061.Store(t + 304);
        c062.Store(t + 320);
        c070.Store(t + 336);
        c071.Store(t + 352);
        c072.Store(t + 368);
        StoreTile(t, 48, c, ldc, alpha, beta, mr, nr, fused: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the edge tile's stackalloc must not call a memset: a call there made accumulators spill in the k loop
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
    [SkipLocalsInit] // the edge tile's stackalloc must not call a memset: a call there made accumulators spill in the k loop
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
    [SkipLocalsInit] // the edge tile's stackalloc must not call a memset: a call there made accumulators spill in the k loop
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

// Reduction kernels: pairwise-blocked f32 sums (SIMD + scalar twin), sums over a strided middle dim, arg-max/min.
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Reductions in f32. <see cref="Sum"/> is pairwise: spans longer than <see cref="LeafLength"/> are split in halves
/// (at a multiple of 16) and the halves summed recursively, so the rounding error grows like O(log n) rather than O(n);
/// leaves are summed with vector accumulators. The split depends only on the length, so results are deterministic.
/// </summary>
public static unsafe class Reduction
{
    /// <summary>Length at or below which a span is summed directly.</summary>
    public const int LeafLength = 256;

    /// <summary>Rows summed into one partial before it is added to the total in <see cref="SumDim"/> (inner &gt; 1).</summary>
    public const int RowGroup = 64;

    /// <summary>Elements per independently summed block of <see cref="SumAll"/> (blocks are combined pairwise).</summary>
    public const int SumBlock = 1 << 16;

    /// <summary>Σ x[i], pairwise (see the class remarks). 0 for an empty span; NaN/∞ propagate.</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        if (x.Length <= LeafLength) return SumLeaf(x);
        int half = (x.Length / 2) & ~15;
        return Sum(x[..half]) + Sum(x[half..]);
    }

    /// <summary>Scalar twin of <see cref="Sum"/>: the same pairwise split with scalar leaves.</summary>
    public static float SumScalar(ReadOnlySpan<float> x)
    {
        if (x.Length <= LeafLength)
        {
            float s = 0;
            foreach (var v in x) s += v;
            return s;
        }
        int half = (x.Length / 2) & ~15;
        return SumScalar(x[..half]) + SumScalar(x[half..]);
    }

    private static float SumLeaf(ReadOnlySpan<float> x)
    {
        int n = x.Length, i = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) acc += Vector512.Create(x.Slice(i, 16));
            s = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc += Vector256.Create(x.Slice(i, 8));
            s = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var acc = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4) acc += Vector128.Create(x.Slice(i, 4));
            s = Vector128.Sum(acc);
        }
        for (; i < n; i++) s += x[i];
        return s;
    }

    /// <summary>
    /// Σ of n contiguous elements: blocks of <see cref="SumBlock"/> summed in parallel with <see cref="Sum"/>, the block
    /// sums then combined with <see cref="Sum"/> — bit-identical for any thread count.
    /// </summary>
    public static float SumAll(float* x, long n)
    {
        if (n <= SumBlock) return Sum(new ReadOnlySpan<float>(x, (int)n));
        int blocks = checked((int)((n + SumBlock - 1) / SumBlock));
        var partial = new float[blocks];
        nint xp = (nint)x;
        Par.For(blocks, 1, (b0, b1) =>
        {
            for (int b = b0; b < b1; b++)
            {
                long s = (long)b * SumBlock;
                partial[b] = Sum(new ReadOnlySpan<float>((float*)xp + s, (int)Math.Min(SumBlock, n - s)));
            }
        });
        return Sum(partial);
    }

    /// <summary>
    /// Sums x viewed as [outer, n, inner] (contiguous) over the middle dimension into d [outer, inner]. inner = 1 uses
    /// the pairwise <see cref="Sum"/> per row; otherwise rows are added with SIMD in order k = 0..n−1, blocked in groups of
    /// <see cref="RowGroup"/> rows (a partial per group, partials added to the total in order).
    /// Parallel over outer rows and inner blocks; each output element is summed by one thread in a fixed order.
    /// </summary>
    public static void SumDim(float* x, float* d, int outer, int n, int inner)
    {
        nint xp = (nint)x, dp = (nint)d;
        if (inner == 1)
        {
            Par.For(outer, Math.Max(1, 4096 / Math.Max(1, n)), (o0, o1) =>
            {
                for (int o = o0; o < o1; o++) ((float*)dp)[o] = Sum(new ReadOnlySpan<float>((float*)xp + (long)o * n, n));
            });
            return;
        }
        const int InnerBlock = 4096;
        int ib = (inner + InnerBlock - 1) / InnerBlock;
        Par.For(outer * ib, Math.Max(1, 4096 / Math.Max(1, n * Math.Min(inner, InnerBlock))), (t0, t1) =>
        {
            Span<float> partBuffer = n > RowGroup ? stackalloc float[InnerBlock] : default;
            for (int t = t0; t < t1; t++)
            {
                int o = t / ib, c0 = t % ib * InnerBlock, len = Math.Min(InnerBlock, inner - c0);
                var acc = new Span<float>((float*)dp + (long)o * inner + c0, len);
                acc.Clear();
                float* src = (float*)xp + (long)o * n * inner + c0;
                if (n <= RowGroup)
                {
                    for (int k = 0; k < n; k++) Simd.SimdDriver.Binary<Simd.AddOp>(acc, new ReadOnlySpan<float>(src + (long)k * inner, len), acc);
                    continue;
                }
                // Blocked: rows are summed in groups of RowGroup into a partial, partials into the total (error ~ (G + n/G)·ε).
                var part = partBuffer[..len];
                for (int k0 = 0; k0 < n; k0 += RowGroup)
                {
                    new ReadOnlySpan<float>(src + (long)k0 * inner, len).CopyTo(part);
                    int k1 = Math.Min(n, k0 + RowGroup);
                    for (int k = k0 + 1; k < k1; k++) Simd.SimdDriver.Binary<Simd.AddOp>(part, new ReadOnlySpan<float>(src + (long)k * inner, len), part);
                    Simd.SimdDriver.Binary<Simd.AddOp>(acc, part, acc);
                }
            }
        });
    }

    /// <summary>
    /// Max (or min when <paramref name="max"/> is false) over the middle dimension of x viewed as [outer, n, inner], with
    /// the index of the first extreme element; a NaN wins and its first index is returned (torch semantics). n ≥ 1.
    /// </summary>
    public static void ArgExtremeDim(float* x, float* values, long* indices, int outer, int n, int inner, bool max)
    {
        nint xp = (nint)x, vp = (nint)values, ip = (nint)indices;
        Par.For(outer, Math.Max(1, 4096 / Math.Max(1, n * inner)), (o0, o1) =>
        {
            for (int o = o0; o < o1; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    float* p = (float*)xp + (long)o * n * inner + i;
                    float best = p[0];
                    long bi = 0;
                    if (!float.IsNaN(best))
                    {
                        for (int k = 1; k < n; k++)
                        {
                            float v = p[(long)k * inner];
                            if (float.IsNaN(v)) { best = v; bi = k; break; }
                            if (max ? v > best : v < best) { best = v; bi = k; }
                        }
                    }
                    ((float*)vp)[(long)o * inner + i] = best;
                    ((long*)ip)[(long)o * inner + i] = bi;
                }
            }
        });
    }
}

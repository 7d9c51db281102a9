// AVX-512 blocked inner loops of attention: four keys per pass share each q load; four value rows per o update.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

internal static unsafe partial class AttentionKernels
{
    /// <summary>
    /// sc[s] = q·k_s for s &lt; sc.Length, four keys at a time with Vector512 (tails via TensorPrimitives.Dot on the
    /// widened row). With <paramref name="next"/>, the rows next[s..s+3] (the value rows read right after) are prefetched
    /// alongside.
    /// </summary>
    private static void DotsBlocked<TKv>(float* q, byte* k, int dh, Span<float> sc, float* scratch, byte* next = null) where TKv : IKvElement
    {
        int n = sc.Length, s = 0, dv = dh & ~15;
        long rowBytes = (long)dh * TKv.Size;
        for (; s + 4 <= n; s += 4)
        {
            byte* k0 = k + s * rowBytes, k1 = k0 + rowBytes, k2 = k1 + rowBytes, k3 = k2 + rowBytes;
            if (next != null) PrefetchRows(next + s * rowBytes, 4 * rowBytes);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int d = 0; d < dv; d += 16)
            {
                var qv = Vector512.Load(q + d);
                a0 += qv * TKv.Get16(k0, d);
                a1 += qv * TKv.Get16(k1, d);
                a2 += qv * TKv.Get16(k2, d);
                a3 += qv * TKv.Get16(k3, d);
            }
            float d0 = Vector512.Sum(a0), d1 = Vector512.Sum(a1), d2 = Vector512.Sum(a2), d3 = Vector512.Sum(a3);
            for (int d = dv; d < dh; d++)
            {
                d0 += q[d] * TKv.Get(k0, d);
                d1 += q[d] * TKv.Get(k1, d);
                d2 += q[d] * TKv.Get(k2, d);
                d3 += q[d] * TKv.Get(k3, d);
            }
            sc[s] = d0;
            sc[s + 1] = d1;
            sc[s + 2] = d2;
            sc[s + 3] = d3;
        }
        var qRow = new ReadOnlySpan<float>(q, dh);
        for (; s < n; s++) sc[s] = TensorPrimitives.Dot(qRow, new ReadOnlySpan<float>(TKv.Row(k + s * rowBytes, dh, scratch), dh));
    }

    /// <summary>
    /// o += Σₛ p[s]·v_s in key order (each element updated as ((o + p₀v₀) + p₁v₁) + …), four value rows per pass. With
    /// <paramref name="next"/>, its first <paramref name="nextRows"/> rows (the next query row's keys) are prefetched
    /// four per pass.
    /// </summary>
    private static void AccumulateBlocked<TKv>(ReadOnlySpan<float> p, byte* v, int dh, float* o, float* scratch, byte* next = null, int nextRows = 0)
        where TKv : IKvElement
    {
        int n = p.Length, s = 0, dv = dh & ~15;
        long rowBytes = (long)dh * TKv.Size;
        var oRow = new Span<float>(o, dh);
        for (; s + 4 <= n; s += 4)
        {
            byte* v0 = v + s * rowBytes, v1 = v0 + rowBytes, v2 = v1 + rowBytes, v3 = v2 + rowBytes;
            if (next != null && s + 4 <= nextRows) PrefetchRows(next + s * rowBytes, 4 * rowBytes);
            float p0 = p[s], p1 = p[s + 1], p2 = p[s + 2], p3 = p[s + 3];
            var b0 = Vector512.Create(p0);
            var b1 = Vector512.Create(p1);
            var b2 = Vector512.Create(p2);
            var b3 = Vector512.Create(p3);
            for (int d = 0; d < dv; d += 16)
            {
                var acc = Vector512.Load(o + d);
                acc += TKv.Get16(v0, d) * b0;
                acc += TKv.Get16(v1, d) * b1;
                acc += TKv.Get16(v2, d) * b2;
                acc += TKv.Get16(v3, d) * b3;
                acc.Store(o + d);
            }
            for (int d = dv; d < dh; d++) o[d] = o[d] + TKv.Get(v0, d) * p0 + TKv.Get(v1, d) * p1 + TKv.Get(v2, d) * p2 + TKv.Get(v3, d) * p3;
        }
        for (; s < n; s++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(TKv.Row(v + s * rowBytes, dh, scratch), dh), p[s], oRow, oRow);
    }

    /// <summary>
    /// Software prefetch (to L1) of <paramref name="bytes"/> bytes (four consecutive K or V rows). Decode attention reads each
    /// head's keys and values once (tens of KiB: too short for the hardware prefetcher to ramp up), so the values are
    /// requested while the scores run over the keys, and the next head's keys while the values are summed: 5–8%
    /// less attention time per decoded token (docs/benchmarks.md). Only a hint: results do not change.
    /// </summary>
    private static void PrefetchRows(byte* p, long bytes)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        for (byte* e = p + bytes; p < e; p += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(p);
    }

    /// <summary>dk += q·a and dv += dO·b over one key row (Vector512 body, scalar tail; separate multiply and add).</summary>
    private static void AxpyPair(float* q, float a, float* dk, float* dO, float b, float* dv, int dh)
    {
        int dvEnd = dh & ~15, d = 0;
        var va = Vector512.Create(a);
        var vb = Vector512.Create(b);
        for (; d < dvEnd; d += 16)
        {
            (Vector512.Load(dk + d) + Vector512.Load(q + d) * va).Store(dk + d);
            (Vector512.Load(dv + d) + Vector512.Load(dO + d) * vb).Store(dv + d);
        }
        for (; d < dh; d++)
        {
            dk[d] += q[d] * a;
            dv[d] += dO[d] * b;
        }
    }
}

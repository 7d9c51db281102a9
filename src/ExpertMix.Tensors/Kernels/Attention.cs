// Causal scaled-dot-product attention with GQA: memory-lean row-wise forward (saves log-sum-exp) and fused backward.
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Shapes and options of one attention call: q [B, H, T, Dh], k/v [B, Hkv, S, Dh], o [B, H, T, Dh], optional additive
/// mask [Bm, Hm, Tm, S] (Bm ∈ {1, B}, Hm ∈ {1, H}, Tm ∈ {1, T}: size-1 dimensions broadcast); query head h reads kv head h / (H / Hkv). With
/// <see cref="Causal"/>, query t sits at absolute position S − T + t and sees keys s ≤ S − T + t.
/// </summary>
internal readonly unsafe struct AttentionArgs
{
    public AttentionArgs(int b, int h, int hkv, int t, int s, int dh, float scale, bool causal, float* mask, int maskB, int maskH, int maskT = -1, long kvHeadStride = -1)
    {
        if (maskT < 0) maskT = t;
        KvHeadStride = kvHeadStride < 0 ? (long)s * dh : kvHeadStride;
        B = b;
        H = h;
        Hkv = hkv;
        T = t;
        S = s;
        Dh = dh;
        Scale = scale;
        Causal = causal;
        Mask = mask;
        MaskBStride = maskB == 1 ? 0 : (long)maskH * maskT * s;
        MaskHStride = maskH == 1 ? 0 : (long)maskT * s;
        MaskTStride = maskT == 1 ? 0 : s;
    }

    public int B { get; }
    public int H { get; }
    public int Hkv { get; }
    public int T { get; }
    public int S { get; }
    public int Dh { get; }
    public float Scale { get; }
    public bool Causal { get; }
    public float* Mask { get; }
    public long MaskBStride { get; }
    public long MaskHStride { get; }
    public long MaskTStride { get; }

    /// <summary>Elements between consecutive kv heads of k and v (S·Dh when dense; larger for a view of a preallocated KV cache). Forward only.</summary>
    public long KvHeadStride { get; init; }

    /// <summary>Number of keys query row t attends to.</summary>
    public int Limit(int t) => Causal ? Math.Min(S, S - T + t + 1) : S;

    public float* MaskRow(int b, int h, int t) => Mask == null ? null : Mask + b * MaskBStride + h * MaskHStride + t * MaskTStride;
}

/// <summary>
/// Attention kernels: scores sₛ = (q·kₛ)·scale + maskₛ over the visible keys, p = softmax(s) (f32, max-subtracted,
/// p = exp(s − max)·(1/Σ)), o = Σₛ pₛ vₛ; lse = max + log Σ exp(s − max) is saved for the backward. No [T, S] matrix
/// is materialised (one row of S scores per thread; the tiled prefill forward keeps six). A row whose visible scores
/// are all −∞ gives NaN (as torch).
/// Backward (flash-attention style): pₛ = exp(sₛ − lse), dPₛ = dO·vₛ, D = dO·o, dSₛ = pₛ(dPₛ − D);
/// dq = scale Σ dSₛ kₛ; dkₛ += scale dSₛ q; dvₛ += pₛ dO, summed over the query heads of a group in fixed order.
/// <c>simd</c> selects TensorPrimitives dot/axpy/exp versus the scalar reference loops.
/// </summary>
internal static unsafe partial class AttentionKernels
{
    /// <summary>
    /// Forward over all rows; writes o and lse [B, H, T]. With <paramref name="simd"/> and <see cref="CanTile"/> (prefill)
    /// it runs <see cref="ForwardTiled"/>, otherwise <see cref="ForwardRows"/> (parallel over (b, h, t)).
    /// </summary>
    public static void Forward(AttentionArgs a, float* q, float* k, float* v, float* o, float* lse, bool simd)
    {
        if (simd && CanTile(a))
        {
            ForwardTiled(a, q, k, v, o, lse);
            return;
        }
        ForwardRows(a, q, k, v, o, lse, simd);
    }

    /// <summary>
    /// <see cref="Forward"/> over keys and values stored as bf16 (a bf16 KV cache; same layout and strides as f32): the
    /// row kernel (decode) widens them in registers; the tiled prefill kernel runs on f32 copies of the visible K/V.
    /// Either way the result equals the f32 kernel's on the widened values.
    /// </summary>
    public static void ForwardBf16Kv(AttentionArgs a, float* q, ushort* k, ushort* v, float* o, float* lse, bool simd)
    {
        if (!(simd && CanTile(a)))
        {
            ForwardRows<Bf16Kv>(a, q, (byte*)k, (byte*)v, o, lse, simd);
            return;
        }
        int units = a.B * a.Hkv, head = checked(a.S * a.Dh);
        long total = (long)units * head;
        var kf = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, total) * 2 * sizeof(float)), 64);
        try
        {
            float* vf = kf + total;
            for (int u = 0; u < units; u++)
            {
                Convert.Bf16ToF32(new ReadOnlySpan<ushort>(k + u * a.KvHeadStride, head), new Span<float>(kf + (long)u * head, head));
                Convert.Bf16ToF32(new ReadOnlySpan<ushort>(v + u * a.KvHeadStride, head), new Span<float>(vf + (long)u * head, head));
            }
            ForwardTiled(a with { KvHeadStride = head }, q, kf, vf, o, lse);
        }
        finally
        {
            NativeMemory.AlignedFree(kf);
        }
    }

    /// <summary>Row-by-row forward (the reference twin of <see cref="ForwardTiled"/>, and the decode path): one score row per query.</summary>
    internal static void ForwardRows(AttentionArgs a, float* q, float* k, float* v, float* o, float* lse, bool simd) =>
        ForwardRows<F32Kv>(a, q, (byte*)k, (byte*)v, o, lse, simd);

    /// <summary>
    /// <see cref="ForwardRows(AttentionArgs, float*, float*, float*, float*, float*, bool)"/> over keys and values stored
    /// as <typeparamref name="TKv"/> (f32 or bf16; element offsets as for f32). Bit-identical to the f32 kernel on the
    /// widened values.
    /// </summary>
    internal static void ForwardRows<TKv>(AttentionArgs a, float* q, byte* k, byte* v, float* o, float* lse, bool simd) where TKv : IKvElement
    {
        int rows = a.B * a.H * a.T;
        if (rows == 0) return;
        int group = a.H / a.Hkv;
        Par.For(rows, Math.Max(1, 32768 / Math.Max(1, a.S * a.Dh)), (r0, r1) =>
        {
            var scores = new float[Math.Max(1, a.S)];
            var scratch = new float[Math.Max(1, a.Dh)];   // one widened K/V row (bf16 paths outside the blocked loops)
            fixed (float* rowScratch = scratch)
            {
                for (int r = r0; r < r1; r++)
                {
                    int t = r % a.T, h = r / a.T % a.H, b = r / (a.T * a.H);
                    long kvOff = KvOffset(a, r, group) * TKv.Size;
                    bool more = r + 1 < r1;   // prefetch the next row's keys while this row sums its values
                    byte* nextK = more ? k + KvOffset(a, r + 1, group) * TKv.Size : null;
                    int nextRows = more ? a.Limit((r + 1) % a.T) : 0;
                    lse[r] = ForwardRow<TKv>(a, q + (long)r * a.Dh, k + kvOff, v + kvOff, a.MaskRow(b, h, t), a.Limit(t), o + (long)r * a.Dh, scores, simd,
                        rowScratch, nextK, nextRows);
                }
            }
        });
    }

    /// <summary>Offset in elements of the kv head that query row <paramref name="r"/> (flattened over b, h, t) reads.</summary>
    private static long KvOffset(AttentionArgs a, int r, int group) => ((long)(r / (a.T * a.H)) * a.Hkv + r / a.T % a.H / group) * a.KvHeadStride;

    /// <summary>One query row; <paramref name="nextK"/> (the next row's keys, <paramref name="nextRows"/> visible) is only prefetched.</summary>
    private static float ForwardRow<TKv>(AttentionArgs a, float* q, byte* k, byte* v, float* mask, int limit, float* o, Span<float> scores, bool simd,
        float* scratch, byte* nextK, int nextRows) where TKv : IKvElement
    {
        int dh = a.Dh;
        var oRow = new Span<float>(o, dh);
        oRow.Clear();
        if (limit <= 0) return float.NegativeInfinity;
        var sc = scores[..limit];
        Scores<TKv>(a, q, k, mask, sc, simd, scratch, v);
        float max, sum;
        long rowBytes = (long)dh * TKv.Size;
        if (simd)
        {
            max = TensorPrimitives.Max(sc);
            sum = SoftmaxKernels.ExpShiftSum(sc, max, sc);
            TensorPrimitives.Multiply(sc, 1f / sum, sc);
            if (Vector512.IsHardwareAccelerated && dh >= 16) AccumulateBlocked<TKv>(sc, v, dh, o, scratch, nextK, nextRows);
            else
            {
                for (int s = 0; s < limit; s++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(TKv.Row(v + s * rowBytes, dh, scratch), dh), sc[s], oRow, oRow);
            }
        }
        else
        {
            max = SoftmaxKernels.MaxScalar(sc);
            sum = 0f;
            for (int s = 0; s < limit; s++)
            {
                sc[s] = MathF.Exp(sc[s] - max);
                sum += sc[s];
            }
            float inv = 1f / sum;
            for (int s = 0; s < limit; s++) sc[s] *= inv;
            for (int s = 0; s < limit; s++)
            {
                float p = sc[s];
                float* vs = TKv.Row(v + s * rowBytes, dh, scratch);
                for (int d = 0; d < dh; d++) o[d] = vs[d] * p + o[d];
            }
        }
        return max + MathF.Log(sum);
    }

    /// <summary>sc[s] = (q·k_s)·scale + mask[s]; <paramref name="prefetch"/> (rows read next) is only prefetched.</summary>
    private static void Scores<TKv>(AttentionArgs a, float* q, byte* k, float* mask, Span<float> sc, bool simd, float* scratch, byte* prefetch = null)
        where TKv : IKvElement
    {
        int dh = a.Dh;
        if (simd && Vector512.IsHardwareAccelerated && dh >= 16) DotsBlocked<TKv>(q, k, dh, sc, scratch, prefetch);
        else
        {
            var qRow = new ReadOnlySpan<float>(q, dh);
            long rowBytes = (long)dh * TKv.Size;
            for (int s = 0; s < sc.Length; s++)
            {
                float* ks = TKv.Row(k + s * rowBytes, dh, scratch);
                float dot;
                if (simd) dot = TensorPrimitives.Dot(qRow, new ReadOnlySpan<float>(ks, dh));
                else
                {
                    dot = 0f;
                    for (int d = 0; d < dh; d++) dot += q[d] * ks[d];
                }
                sc[s] = dot;
            }
        }
        for (int s = 0; s < sc.Length; s++)
        {
            float x = sc[s] * a.Scale;
            if (mask != null) x += mask[s];
            sc[s] = x;
        }
    }

    /// <summary>
    /// Fused backward: dq [B, H, T, Dh] (overwritten), dk/dv [B, Hkv, S, Dh] (overwritten). Parallel over (b, kv head);
    /// each unit owns its dk/dv slice and the dq rows of its query heads, so results are thread-count independent.
    /// </summary>
    public static void Backward(AttentionArgs a, float* q, float* k, float* v, float* o, float* lse, float* dO, float* dq, float* dk, float* dv, bool simd)
    {
        int units = a.B * a.Hkv;
        int group = a.H / a.Hkv, dh = a.Dh;
        new Span<float>(dq, checked((int)((long)a.B * a.H * a.T * dh))).Clear();
        new Span<float>(dk, checked((int)((long)a.B * a.Hkv * a.S * dh))).Clear();
        new Span<float>(dv, checked((int)((long)a.B * a.Hkv * a.S * dh))).Clear();
        if (units == 0 || a.T == 0 || dh == 0) return;
        Par.For(units, 1, (u0, u1) =>
        {
            var p = new float[Math.Max(1, a.S)];
            var dS = new float[Math.Max(1, a.S)];
            for (int u = u0; u < u1; u++)
            {
                int b = u / a.Hkv, kvh = u % a.Hkv;
                long kvOff = (long)u * a.S * dh;
                for (int j = 0; j < group; j++)
                {
                    int h = kvh * group + j;
                    for (int t = 0; t < a.T; t++)
                    {
                        long r = ((long)b * a.H + h) * a.T + t;
                        int limit = a.Limit(t);
                        if (limit <= 0) continue;
                        BackwardRow(a, q + r * dh, k + kvOff, v + kvOff, o + r * dh, lse[r], dO + r * dh, a.MaskRow(b, h, t), limit,
                            dq + r * dh, dk + kvOff, dv + kvOff, p.AsSpan(0, limit), dS.AsSpan(0, limit), simd);
                    }
                }
            }
        });
    }

    private static void BackwardRow(AttentionArgs a, float* q, float* k, float* v, float* o, float lse, float* dO, float* mask, int limit,
        float* dq, float* dk, float* dv, Span<float> p, Span<float> dS, bool simd)
    {
        int dh = a.Dh;
        Scores<F32Kv>(a, q, (byte*)k, mask, p, simd, null);
        var dORow = new ReadOnlySpan<float>(dO, dh);
        var qRow = new ReadOnlySpan<float>(q, dh);
        var dqRow = new Span<float>(dq, dh);
        if (simd)
        {
            TensorPrimitives.Subtract(p, lse, p);
            TensorPrimitives.Exp(p, p);
            float dd = TensorPrimitives.Dot(dORow, new ReadOnlySpan<float>(o, dh));
            bool blocked = Vector512.IsHardwareAccelerated && dh >= 16;
            if (blocked) DotsBlocked<F32Kv>(dO, (byte*)v, dh, dS, null);
            else
            {
                for (int s = 0; s < limit; s++) dS[s] = TensorPrimitives.Dot(dORow, new ReadOnlySpan<float>(v + (long)s * dh, dh));
            }
            for (int s = 0; s < limit; s++) dS[s] = p[s] * (dS[s] - dd) * a.Scale;
            if (blocked)
            {
                AccumulateBlocked<F32Kv>(dS, (byte*)k, dh, dq, null);
                for (int s = 0; s < limit; s++) AxpyPair(q, dS[s], dk + (long)s * dh, dO, p[s], dv + (long)s * dh, dh);
            }
            else
            {
                for (int s = 0; s < limit; s++)
                {
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(k + (long)s * dh, dh), dS[s], dqRow, dqRow);
                    var dks = new Span<float>(dk + (long)s * dh, dh);
                    TensorPrimitives.MultiplyAdd(qRow, dS[s], dks, dks);
                    var dvs = new Span<float>(dv + (long)s * dh, dh);
                    TensorPrimitives.MultiplyAdd(dORow, p[s], dvs, dvs);
                }
            }
        }
        else
        {
            for (int s = 0; s < limit; s++) p[s] = MathF.Exp(p[s] - lse);
            float dd = 0f;
            for (int d = 0; d < dh; d++) dd += dO[d] * o[d];
            for (int s = 0; s < limit; s++)
            {
                float* vs = v + (long)s * dh;
                float dp = 0f;
                for (int d = 0; d < dh; d++) dp += dO[d] * vs[d];
                dS[s] = p[s] * (dp - dd) * a.Scale;
            }
            for (int s = 0; s < limit; s++)
            {
                float* ks = k + (long)s * dh, dks = dk + (long)s * dh, dvs = dv + (long)s * dh;
                float ds = dS[s], ps = p[s];
                for (int d = 0; d < dh; d++)
                {
                    dq[d] = ks[d] * ds + dq[d];
                    dks[d] = q[d] * ds + dks[d];
                    dvs[d] = dO[d] * ps + dvs[d];
                }
            }
        }
    }
}

// Causal scaled-dot-product attention with GQA: memory-lean row-wise forward (saves log-sum-exp) and fused backward.
using System.Numerics.Tensors;
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
    public long KvHeadStride { get; }

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

    /// <summary>Row-by-row forward (the reference twin of <see cref="ForwardTiled"/>, and the decode path): one score row per query.</summary>
    internal static void ForwardRows(AttentionArgs a, float* q, float* k, float* v, float* o, float* lse, bool simd)
    {
        int rows = a.B * a.H * a.T;
        if (rows == 0) return;
        int group = a.H / a.Hkv;
        Par.For(rows, Math.Max(1, 32768 / Math.Max(1, a.S * a.Dh)), (r0, r1) =>
        {
            var scores = new float[Math.Max(1, a.S)];
            for (int r = r0; r < r1; r++)
            {
                int t = r % a.T, h = r / a.T % a.H, b = r / (a.T * a.H);
                long kvOff = KvOffset(a, r, group);
                bool more = r + 1 < r1;   // prefetch the next row's keys while this row sums its values
                float* nextK = more ? k + KvOffset(a, r + 1, group) : null;
                int nextRows = more ? a.Limit((r + 1) % a.T) : 0;
                lse[r] = ForwardRow(a, q + (long)r * a.Dh, k + kvOff, v + kvOff, a.MaskRow(b, h, t), a.Limit(t), o + (long)r * a.Dh, scores, simd, nextK, nextRows);
            }
        });
    }

    /// <summary>Offset of the kv head that query row <paramref name="r"/> (flattened over b, h, t) reads.</summary>
    private static long KvOffset(AttentionArgs a, int r, int group) => ((long)(r / (a.T * a.H)) * a.Hkv + r / a.T % a.H / group) * a.KvHeadStride;

    /// <summary>One query row; <paramref name="nextK"/> (the next row's keys, <paramref name="nextRows"/> visible) is only prefetched.</summary>
    private static float ForwardRow(AttentionArgs a, float* q, float* k, float* v, float* mask, int limit, float* o, Span<float> scores, bool simd,
        float* nextK = null, int nextRows = 0)
    {
        int dh = a.Dh;
        var oRow = new Span<float>(o, dh);
        oRow.Clear();
        if (limit <= 0) return float.NegativeInfinity;
        var sc = scores[..limit];
        Scores(a, q, k, mask, sc, simd, v);
        float max, sum;
        if (simd)
        {
            max = TensorPrimitives.Max(sc);
            sum = SoftmaxKernels.ExpShiftSum(sc, max, sc);
            TensorPrimitives.Multiply(sc, 1f / sum, sc);
            if (Vector512.IsHardwareAccelerated && dh >= 16) AccumulateBlocked(sc, v, dh, o, nextK, nextRows);
            else
            {
                for (int s = 0; s < limit; s++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)s * dh, dh), sc[s], oRow, oRow);
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
                float* vs = v + (long)s * dh;
                for (int d = 0; d < dh; d++) o[d] = vs[d] * p + o[d];
            }
        }
        return max + MathF.Log(sum);
    }

    private static void Scores(AttentionArgs a, float* q, float* k, float* mask, Span<float> sc, bool simd, float* prefetch = null)
    {
        int dh = a.Dh;
        if (simd && Vector512.IsHardwareAccelerated && dh >= 16) DotsBlocked(q, k, dh, sc, prefetch);
        else
        {
            var qRow = new ReadOnlySpan<float>(q, dh);
            for (int s = 0; s < sc.Length; s++)
            {
                float* ks = k + (long)s * dh;
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
        Scores(a, q, k, mask, p, simd);
        var dORow = new ReadOnlySpan<float>(dO, dh);
        var qRow = new ReadOnlySpan<float>(q, dh);
        var dqRow = new Span<float>(dq, dh);
        if (simd)
        {
            TensorPrimitives.Subtract(p, lse, p);
            TensorPrimitives.Exp(p, p);
            float dd = TensorPrimitives.Dot(dORow, new ReadOnlySpan<float>(o, dh));
            bool blocked = Vector512.IsHardwareAccelerated && dh >= 16;
            if (blocked) DotsBlocked(dO, v, dh, dS);
            else
            {
                for (int s = 0; s < limit; s++) dS[s] = TensorPrimitives.Dot(dORow, new ReadOnlySpan<float>(v + (long)s * dh, dh));
            }
            for (int s = 0; s < limit; s++) dS[s] = p[s] * (dS[s] - dd) * a.Scale;
            if (blocked)
            {
                AccumulateBlocked(dS, k, dh, dq);
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

// Differentiable causal scaled-dot-product attention with grouped-query (GQA/MQA) heads and an optional additive mask.

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// o = softmax(q·kᵀ·scale + mask [+ causal]) · v per (batch, query head), f32 (a bf16 KV-cache view is read in place
    /// and widened exactly; other inputs are converted to f32).
    /// Shapes: <paramref name="q"/> [B, H, T, Dh]; <paramref name="k"/>, <paramref name="v"/> [B, Hkv, S, Dh] with
    /// H % Hkv == 0 (query head h uses kv head h / (H/Hkv); Hkv = 1 is MQA); optional additive
    /// <paramref name="mask"/> [1 or B, 1 or H, 1 or T, S], size-1 dimensions broadcast as in PyTorch (0 keeps, −∞ or a large negative drops; for left padding).
    /// <paramref name="causal"/>: the T queries are the last T of the S key positions (KV-cache decode: offset S − T), so
    /// query t sees keys s ≤ S − T + t. <paramref name="scale"/> defaults to 1/√Dh. Output [B, H, T, Dh].
    /// The forward never materialises the [T, S] matrix (decode: one score row per thread; prefill with AVX-512: six query
    /// rows per tile through register-blocked q·kᵀ and p·v kernels) and saves the row log-sum-exp; the fused
    /// backward returns dq, dk, dv (dk/dv summed over the query heads of each group). The mask gets no gradient.
    /// NaN: a query row whose visible scores are all −∞ yields NaN, like PyTorch's softmax.
    /// </summary>
    /// <exception cref="ArgumentException">Ranks/shapes are inconsistent, H % Hkv ≠ 0, or causal with T &gt; S.</exception>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = true, float? scale = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        const string op = "ScaledDotProductAttention";
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4) throw new ArgumentException($"{op}: q {q.Shape}, k {k.Shape}, v {v.Shape} must be rank 4 ([B, H, T, Dh], [B, Hkv, S, Dh])", nameof(q));
        NnOpsSupport.RequireFloat(q, op, nameof(q));
        NnOpsSupport.RequireFloat(k, op, nameof(k));
        NnOpsSupport.RequireFloat(v, op, nameof(v));
        int b = q.Size(0), h = q.Size(1), t = q.Size(2), dh = q.Size(3), hkv = k.Size(1), s = k.Size(2);
        if (k.Size(0) != b || k.Size(3) != dh || v.Shape != k.Shape) throw new ArgumentException($"{op}: k {k.Shape} and v {v.Shape} must be [{b}, Hkv, S, {dh}] for q {q.Shape}", nameof(k));
        if (hkv == 0 || h % hkv != 0) throw new ArgumentException($"{op}: query heads {h} must be a multiple of kv heads {hkv} (q {q.Shape}, k {k.Shape})", nameof(k));
        if (causal && t > s) throw new ArgumentException($"{op}: causal attention needs T ≤ S (q {q.Shape}, k {k.Shape})", nameof(q));
        if (mask is not null)
        {
            NnOpsSupport.RequireFloat(mask, op, nameof(mask));
            if (mask.Rank != 4 || mask.Size(0) is not 1 && mask.Size(0) != b || mask.Size(1) is not 1 && mask.Size(1) != h || mask.Size(2) is not 1 && mask.Size(2) != t || mask.Size(3) != s)
            {
                throw new ArgumentException($"{op}: mask {mask.Shape} must be [1 or {b}, 1 or {h}, 1 or {t}, {s}]", nameof(mask));
            }
        }
        float sc = scale ?? 1f / MathF.Sqrt(dh);

        bool record = Autograd.ShouldRecord(q, k, v);
        var qc = NnOpsSupport.DenseF32(q);
        // Forward-only: a KV-cache view (dense rows, padded head stride; f32 or bf16) is read in place instead of copied.
        bool inPlace = !record && IsHeadStrided(k) && IsHeadStrided(v) && k.Stride(1) == v.Stride(1) && k.DType == v.DType;
        var kc = inPlace ? k.Detach() : NnOpsSupport.DenseF32(k);
        var vc = inPlace ? v.Detach() : NnOpsSupport.DenseF32(v);
        var mc = mask is null ? null : NnOpsSupport.DenseF32(mask);
        var backend = BackendOf(op, q, k, v, mask);
        var causality = causal ? AttentionCausality.Causal : AttentionCausality.Full;
        var y = EmptyOn(backend, q.Shape);
        var lse = EmptyOn(backend, Shape.Wrap([b, h, t]));
        backend.Attention(qc, kc, vc, mc, sc, causality, y, lse);

        if (!record)
        {
            foreach (var tmp in new[] { qc, kc, vc, mc, lse }) tmp?.Dispose();
            return y;
        }
        var saved = y.Detach();
        Tensor[] inputs = mask is null ? [q, k, v] : [q, k, v, mask];
        return y.WithGradFn(new GradNode("ScaledDotProductAttention", inputs, g =>
        {
            using var gc = NnOpsSupport.DenseF32(g);
            var dq = EmptyOn(backend, q.Shape);
            var dk = EmptyOn(backend, k.Shape);
            var dv = EmptyOn(backend, v.Shape);
            backend.AttentionBackward(qc, kc, vc, mc, sc, causality, saved, lse, gc, dq, dk, dv);
            return mask is null ? [dq, dk, dv] : [dq, dk, dv, null];
        }));
    }

    /// <summary>F32 or BF16 [B, Hkv, S, Dh] whose rows are dense, with head stride ≥ S·Dh and batch stride = Hkv·head stride (or B = 1).</summary>
    private static bool IsHeadStrided(Tensor t) =>
        t.DType is DType.F32 or DType.BF16 && t.Stride(3) == 1 && (t.Stride(2) == t.Size(3) || t.Size(2) <= 1) && t.Stride(1) >= (long)t.Size(2) * t.Size(3)
        && (t.Stride(0) == t.Size(1) * t.Stride(1) || t.Size(0) == 1);
}

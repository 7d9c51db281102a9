// Backend seam, attention family: fused scaled-dot-product attention (GQA, causal, additive mask) and its backward.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// y = softmax(q·kᵀ·scale + mask [+ causal −∞])·v per (batch, head), with query head h reading kv head
    /// h / (H / Hkv). q, y: [B, H, T, Dh]; k, v: [B, Hkv, S, Dh]; mask: null or [1|B, 1|H, T, S] additive; lse: [B, H, T]
    /// receives each row's log-sum-exp (saved for backward). All contiguous F32, except that k and v may be views with
    /// dense rows and a larger kv-head stride (equal for both; batch stride = Hkv × head stride): the filled part of a
    /// preallocated [B, Hkv, Smax, Dh] KV cache, read in place. k and v may also both be BF16 (a bf16 KV cache, same
    /// layout): their values are widened exactly, so y equals the f32 result on the widened values. Fully masked rows
    /// give NaN, as in torch.
    /// </summary>
    void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale, AttentionCausality causality, Tensor y, Tensor lse);

    /// <summary>
    /// Gradients of <see cref="Attention"/> from the saved y and lse and the upstream dy: dq like q, dk and dv like k
    /// (summed over the query heads sharing a kv head). All contiguous F32.
    /// </summary>
    void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale, AttentionCausality causality, Tensor y, Tensor lse, Tensor dy, Tensor dq, Tensor dk, Tensor dv);
}

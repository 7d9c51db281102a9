// CPU attention family: the blocked online-softmax AttentionKernels.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale, AttentionCausality causality, Tensor y, Tensor lse)
    {
        var args = Args(q, k, mask, scale, causality, k.Stride(1));
        if (k.DType == DType.BF16 && v.DType == DType.BF16)
        {
            AttentionKernels.ForwardBf16Kv(args, q.DataPointer, (ushort*)k.RawPointer, (ushort*)v.RawPointer, y.DataPointer, lse.DataPointer, simd: true);
            return;
        }
        AttentionKernels.Forward(args, q.DataPointer, k.DataPointer, v.DataPointer, y.DataPointer, lse.DataPointer, simd: true);
    }

    /// <inheritdoc/>
    public unsafe void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale, AttentionCausality causality, Tensor y, Tensor lse, Tensor dy, Tensor dq, Tensor dk, Tensor dv)
    {
        var args = Args(q, k, mask, scale, causality);
        AttentionKernels.Backward(args, q.DataPointer, k.DataPointer, v.DataPointer, y.DataPointer, lse.DataPointer, dy.DataPointer,
            dq.DataPointer, dk.DataPointer, dv.DataPointer, simd: true);
    }

    private static unsafe AttentionArgs Args(Tensor q, Tensor k, Tensor? mask, float scale, AttentionCausality causality, long kvHeadStride = -1) =>
        new(q.Size(0), q.Size(1), k.Size(1), q.Size(2), k.Size(2), q.Size(3), scale, causality == AttentionCausality.Causal,
            mask is null ? null : mask.DataPointer, mask is null ? 1 : mask.Size(0), mask is null ? 1 : mask.Size(1), mask is null ? q.Size(2) : mask.Size(2),
            kvHeadStride);
}

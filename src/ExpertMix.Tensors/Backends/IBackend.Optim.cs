// Backend seam, optimiser family: the fused in-place AdamW parameter update.
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// One fused AdamW step in torch 1.13's f32 operation order, in place on param, expAvg (m), expAvgSq (v) and,
    /// with amsgrad, maxExpAvgSq: p ← p·decay; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
    /// p ← p + negStep·m / (√v / √bc2 + ε) (√max(v) with amsgrad). All contiguous F32 of the same element count.
    /// </summary>
    void AdamWUpdate(Tensor grad, Tensor param, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamWScalars scalars);
}

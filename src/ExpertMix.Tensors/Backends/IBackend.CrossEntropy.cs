// Backend seam, cross-entropy family: per-row fused log-softmax + NLL (with label smoothing) and its backward.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Per row r of logits [rows, V] (contiguous F32) with class targets[r] (I32 [rows]; −1 = ignored row, whose
    /// outputs are left untouched): lse[r] = log Σ exp(x), nll[r] = lse − x[target], and when
    /// <paramref name="labelSmoothing"/> &gt; 0, smooth[r] = Σⱼ (lse − xⱼ). nll, smooth, lse: F32 [rows].
    /// </summary>
    void CrossEntropy(Tensor logits, Tensor targets, float labelSmoothing, Tensor nll, Tensor smooth, Tensor lse);

    /// <summary>
    /// dx[r] = scale[r]·((1 − ε)·(softmax(x) − onehot(target)) + ε·(softmax(x) − 1/V)) per row, using the saved lse;
    /// ignored rows (target −1) get zeros. logits, dx: [rows, V]; targets I32, lse and scale F32: [rows].
    /// </summary>
    void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor lse, float labelSmoothing, Tensor scale, Tensor dx);
}

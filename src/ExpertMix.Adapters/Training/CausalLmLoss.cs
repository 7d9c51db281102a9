// The next-token loss every trainer objective uses: shifted cross-entropy over a padded batch with −100 labels.
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Training;

/// <summary>HF's causal-LM loss: L = mean over {(b, t) : labels[b, t+1] ≠ −100} of −log softmax(logits[b, t])[labels[b, t+1]].</summary>
internal static class CausalLmLoss
{
    /// <summary>
    /// Runs <paramref name="model"/> on the batch (padding mask applied) and returns the rank-0 mean loss. The
    /// intermediates (on the autograd tape in training) belong to the caller's <see cref="TensorScope"/>: open one
    /// around the loss and its <c>Backward()</c>.
    /// </summary>
    public static Tensor Compute(ICausalLm model, TrainingBatch batch, ForwardMode mode)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        int b = batch.BatchSize, t = batch.Length, v = model.Info.VocabSize;
        var ctx = new ForwardContext { Mode = mode, AttentionMask = batch.AttentionMask };
        var logits = model.Forward(batch.InputIds, ctx);                             // [B, T, V]
        var shifted = logits.Narrow(1, 0, t - 1).Reshape(b * (t - 1), v);           // [B·(T−1), V]
        var targets = batch.Labels.Narrow(1, 1, t - 1).Contiguous().Reshape(b * (t - 1));  // [B·(T−1)]
        return Ops.CrossEntropy(shifted, targets, ignoreIndex: TrainingBatch.IgnoreIndex);
    }
}

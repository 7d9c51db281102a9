// Held-out loss over a stream of batches, shared by the trainer's validation and the study's perplexities.
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Training;

/// <summary>The loss of a set of batches, reduced two ways.</summary>
/// <param name="TokenWeighted">Σ_b loss_b·n_b / Σ_b n_b (n_b = loss tokens of batch b): the mean over every token.</param>
/// <param name="MeanOfBatches">(1/B) Σ_b loss_b: what HF's Trainer.evaluate reports.</param>
/// <param name="Tokens">Σ_b n_b.</param>
/// <param name="Batches">B: batches with at least one loss token.</param>
internal sealed record LossEvaluation(double TokenWeighted, double MeanOfBatches, long Tokens, int Batches)
{
    /// <summary>
    /// Evaluates <paramref name="loss"/> (a rank-0 mean over the batch's loss tokens) on every batch under no-grad,
    /// each in its own <see cref="TensorScope"/>; disposes the batches; skips batches without loss tokens.
    /// </summary>
    /// <exception cref="InvalidDataException">No batch has a loss token.</exception>
    public static LossEvaluation Run(IEnumerable<TrainingBatch> batches, Func<TrainingBatch, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(loss);
        using var noGrad = Autograd.NoGrad();
        double weighted = 0, plain = 0;
        long tokens = 0;
        int count = 0;
        foreach (var batch in batches)
        {
            using (batch)
            {
                int n = batch.LossTokens;
                if (n == 0) continue;
                using var scope = TensorScope.Begin();
                double value = loss(batch).Item();   // [] mean over the batch's loss tokens
                weighted += value * n;
                plain += value;
                tokens += n;
                count++;
            }
        }
        if (tokens == 0) throw new InvalidDataException("the evaluation set has no loss tokens (no batches, or all labels are ignored)");
        return new LossEvaluation(weighted / tokens, plain / count, tokens, count);
    }
}

// A context + continuation token sequence prepared for log-likelihood scoring, lm-eval-harness style.
namespace ExpertMix.Models.Generation;

/// <summary>
/// Token ids to score: <paramref name="Ids"/> = (context ++ continuation), left-truncated to at most maxLength + 1
/// tokens; the continuation occupies <c>Ids[ContinuationStart..]</c>. Feed <c>Ids[..^1]</c> (or all of Ids) to the
/// model; with <see cref="LogProbs.OfSequence(ExpertMix.Tensors.Tensor, ReadOnlySpan{int})"/> the continuation's
/// scores are <c>scores[(ContinuationStart − 1)..]</c> (see <see cref="ContinuationScores"/>).
/// </summary>
/// <param name="Ids">The (possibly left-truncated) token sequence.</param>
/// <param name="ContinuationStart">Index in <paramref name="Ids"/> of the first continuation token (≥ 1).</param>
internal sealed record ScoringSequence(int[] Ids, int ContinuationStart)
{
    /// <summary>Number of continuation tokens.</summary>
    public int ContinuationLength => Ids.Length - ContinuationStart;

    /// <summary>The continuation's slice of the scores returned by <c>LogProbs.OfSequence</c> for <see cref="Ids"/> (T − 1 scores).</summary>
    /// <exception cref="ArgumentException">The scores do not have Ids.Length − 1 entries.</exception>
    public ReadOnlySpan<ScoredToken> ContinuationScores(ReadOnlySpan<ScoredToken> sequenceScores)
    {
        if (sequenceScores.Length != Ids.Length - 1)
        {
            throw new ArgumentException($"ScoringSequence: {sequenceScores.Length} scores for a sequence of {Ids.Length} ids (expected {Ids.Length - 1})", nameof(sequenceScores));
        }
        return sequenceScores[(ContinuationStart - 1)..];
    }
}

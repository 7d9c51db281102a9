// The log-likelihood of one multiple-choice continuation with the lengths used to normalise it.
using System.Text;

namespace ExpertMix.Models.Generation;

/// <summary>
/// One choice of a multiple-choice item: <paramref name="LogLikelihood"/> = Σ log p(continuation token | context,
/// earlier continuation tokens) over <paramref name="Tokens"/> tokens; <paramref name="Characters"/> (Unicode code
/// points) and <paramref name="Bytes"/> (UTF-8) measure the choice text; <paramref name="IsGreedy"/> is true when every
/// continuation token is the argmax (lm-eval's <c>is_greedy</c>).
/// </summary>
/// <param name="Index">Position of the choice in the item's list.</param>
/// <param name="LogLikelihood">Σ log p of the continuation tokens (natural log).</param>
/// <param name="Tokens">Number of continuation tokens.</param>
/// <param name="Characters">Unicode code points of the choice text (lm-eval's <c>len</c>).</param>
/// <param name="Bytes">UTF-8 bytes of the choice text.</param>
/// <param name="IsGreedy">Every continuation token is the argmax.</param>
public sealed record ChoiceScore(int Index, double LogLikelihood, int Tokens, int Characters, int Bytes, bool IsGreedy)
{
    /// <summary>
    /// Builds the score of choice <paramref name="index"/> from its continuation token scores (the rows of
    /// <see cref="LogProbs"/> that predict the continuation tokens) and its text <paramref name="choiceText"/>
    /// (as lm-eval's <c>doc_to_choice</c>, without the target delimiter).
    /// </summary>
    /// <exception cref="ArgumentException">The continuation has no tokens or the choice text is empty.</exception>
    public static ChoiceScore From(int index, string choiceText, ReadOnlySpan<ScoredToken> continuation)
    {
        ArgumentNullException.ThrowIfNull(choiceText);
        if (continuation.Length == 0) throw new ArgumentException($"ChoiceScore: choice {index} has no continuation tokens", nameof(continuation));
        if (choiceText.Length == 0) throw new ArgumentException($"ChoiceScore: choice {index} has empty text (length normalisation would divide by 0)", nameof(choiceText));
        bool greedy = true;
        foreach (var t in continuation) greedy &= t.IsArgMax;
        int chars = 0;
        foreach (var _ in choiceText.EnumerateRunes()) chars++;
        return new ChoiceScore(index, LogProbs.Sum(continuation), continuation.Length, chars, Encoding.UTF8.GetByteCount(choiceText), greedy);
    }

    /// <summary>The log-likelihood under <paramref name="normalization"/> (divided by the chosen length; unchanged for None).</summary>
    public double Normalized(ChoiceNormalization normalization) => normalization switch
    {
        ChoiceNormalization.None => LogLikelihood,
        ChoiceNormalization.Characters => LogLikelihood / Characters,
        ChoiceNormalization.Bytes => LogLikelihood / Bytes,
        ChoiceNormalization.Tokens => LogLikelihood / Tokens,
        _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, "unknown ChoiceNormalization"),
    };

    /// <summary>
    /// The index (into <paramref name="choices"/>) of the best choice under <paramref name="normalization"/>; ties → the
    /// first (numpy argmax).
    /// </summary>
    /// <exception cref="ArgumentException">choices is empty.</exception>
    public static int Best(IReadOnlyList<ChoiceScore> choices, ChoiceNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0) throw new ArgumentException("ChoiceScore.Best: no choices", nameof(choices));
        int best = 0;
        double bestValue = choices[0].Normalized(normalization);
        for (int i = 1; i < choices.Count; i++)
        {
            double v = choices[i].Normalized(normalization);
            if (v > bestValue)
            {
                best = i;
                bestValue = v;
            }
        }
        return best;
    }
}

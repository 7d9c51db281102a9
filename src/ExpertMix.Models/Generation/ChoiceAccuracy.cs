// Running acc / acc_norm over multiple-choice items, as lm-eval-harness aggregates them.
namespace ExpertMix.Models.Generation;

/// <summary>
/// Accumulates multiple-choice accuracy: per item, <c>acc</c> = 1 when the raw log-likelihood argmax is the answer,
/// <c>acc_norm</c> = 1 when the argmax of the normalised log-likelihood (<see cref="Normalization"/>, default
/// characters like lm-eval-harness) is; the results are means over items.
/// </summary>
public sealed class ChoiceAccuracy(ChoiceNormalization normalization = ChoiceNormalization.Characters)
{
    private long _correct, _correctNormalized;

    /// <summary>The normalisation used for <see cref="NormalizedAccuracy"/>.</summary>
    public ChoiceNormalization Normalization { get; } = normalization;

    /// <summary>Items added.</summary>
    public long Items { get; private set; }

    /// <summary>Mean <c>acc</c> (0 with no items).</summary>
    public double Accuracy => Items == 0 ? 0 : (double)_correct / Items;

    /// <summary>Mean <c>acc_norm</c> (0 with no items).</summary>
    public double NormalizedAccuracy => Items == 0 ? 0 : (double)_correctNormalized / Items;

    /// <summary>Adds one item with its choice scores and the index of the correct choice; returns (raw prediction, normalised prediction).</summary>
    /// <exception cref="ArgumentException">choices is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">answer is not a valid choice index.</exception>
    public (int Predicted, int PredictedNormalized) Add(IReadOnlyList<ChoiceScore> choices, int answer)
    {
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0) throw new ArgumentException("ChoiceAccuracy: no choices", nameof(choices));
        if ((uint)answer >= (uint)choices.Count) throw new ArgumentOutOfRangeException(nameof(answer), answer, $"ChoiceAccuracy: answer {answer} is not one of the {choices.Count} choices");
        int raw = ChoiceScore.Best(choices, ChoiceNormalization.None);
        int norm = ChoiceScore.Best(choices, Normalization);
        Items++;
        if (raw == answer) _correct++;
        if (norm == answer) _correctNormalized++;
        return (raw, norm);
    }
}

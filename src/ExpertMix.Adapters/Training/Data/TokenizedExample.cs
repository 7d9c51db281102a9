// One tokenised training example: token ids and HF-style labels (−100 = no loss) of equal length.
namespace ExpertMix.Adapters.Training.Data;

/// <summary>
/// Token ids and labels of one example, equal length. labels[i] is ids[i] where position i takes loss and −100
/// (<see cref="TrainingBatch.IgnoreIndex"/>) elsewhere; the loss compares logits[i − 1] with labels[i].
/// </summary>
internal sealed record TokenizedExample
{
    /// <summary>Wraps the arrays (not copied).</summary>
    /// <exception cref="ArgumentException">The lengths differ, or a label is neither −100 nor the id at its position.</exception>
    public TokenizedExample(int[] inputIds, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputIds.Length != labels.Length) throw new ArgumentException($"input ids ({inputIds.Length}) and labels ({labels.Length}) differ in length");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != TrainingBatch.IgnoreIndex && labels[i] != inputIds[i])
                throw new ArgumentException($"label {labels[i]} at position {i} is neither −100 nor the input id {inputIds[i]}");
        }
        InputIds = inputIds;
        Labels = labels;
    }

    /// <summary>Token ids.</summary>
    public int[] InputIds { get; }

    /// <summary>Labels: the id, or −100 where no loss is taken.</summary>
    public int[] Labels { get; }

    /// <summary>Number of tokens.</summary>
    public int Length => InputIds.Length;

    /// <summary>Number of positions i ≥ 1 with labels[i] ≠ −100 (positions that take loss after the shift).</summary>
    public int LossTokens
    {
        get
        {
            int n = 0;
            for (int i = 1; i < Labels.Length; i++)
            {
                if (Labels[i] != TrainingBatch.IgnoreIndex) n++;
            }
            return n;
        }
    }

    /// <summary>The ids whose label is not −100, in order.</summary>
    public int[] TrainedIds() => InputIds.Where((_, i) => Labels[i] != TrainingBatch.IgnoreIndex).ToArray();
}

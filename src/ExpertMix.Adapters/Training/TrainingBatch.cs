// One padded batch of token sequences with HF-style labels (the loss shifts them).
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Training;

/// <summary>
/// A training/evaluation batch in Hugging Face convention: <see cref="InputIds"/> [B, T] (I32),
/// <see cref="Labels"/> [B, T] (I32, the token at each position or −100 where no loss is taken: prompt, padding),
/// <see cref="AttentionMask"/> [B, T] (F32 1 = real token, 0 = padding). The loss compares logits[:, t] with
/// labels[:, t + 1]. Owns its tensors.
/// </summary>
internal sealed class TrainingBatch : IDisposable
{
    /// <summary>The label value that takes no loss.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>Takes ownership of the three tensors.</summary>
    /// <exception cref="ArgumentException">Shapes differ or are not [B, T].</exception>
    public TrainingBatch(Tensor inputIds, Tensor labels, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (inputIds.Rank != 2 || labels.Shape != inputIds.Shape || attentionMask.Shape != inputIds.Shape)
        {
            throw new ArgumentException($"batch tensors must share one [B, T] shape (input_ids {inputIds.Shape}, labels {labels.Shape}, attention_mask {attentionMask.Shape})");
        }
        InputIds = inputIds;
        Labels = labels;
        AttentionMask = attentionMask;
    }

    /// <summary>[B, T] I32 token ids.</summary>
    public Tensor InputIds { get; }

    /// <summary>[B, T] I32 labels (−100 = ignored).</summary>
    public Tensor Labels { get; }

    /// <summary>[B, T] F32 1/0 padding mask.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>B.</summary>
    public int BatchSize => InputIds.Size(0);

    /// <summary>T.</summary>
    public int Length => InputIds.Size(1);

    /// <summary>Number of positions that take loss: labels[:, 1:] ≠ −100.</summary>
    public int LossTokens
    {
        get
        {
            var labels = Labels.ToInt64Array();
            int t = Length, n = 0;
            for (int i = 0; i < labels.Length; i++)
            {
                if (i % t != 0 && labels[i] != IgnoreIndex) n++;
            }
            return n;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        AttentionMask.Dispose();
    }
}

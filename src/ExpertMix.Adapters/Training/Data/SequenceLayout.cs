// Length policies: truncate each example, or pack all examples into fixed-length blocks; and batch collation.
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>
/// Applies <see cref="DataOptions.Length"/> to tokenised examples and collates sequences into
/// <see cref="TrainingBatch"/>es.
/// </summary>
internal static class SequenceLayout
{
    /// <summary>
    /// The sequences to batch: under <see cref="LengthPolicy.Truncate"/> / <see cref="LengthPolicy.Pad"/> each
    /// example cut to MaxLength (kept side per <see cref="DataOptions.Truncation"/>); under
    /// <see cref="LengthPolicy.Pack"/> the concatenation e₀ ++ [EOS] ++ e₁ ++ [EOS] ++ … (the EOS separator only
    /// where an example does not already end with <paramref name="eosId"/>; its label is EOS, so the model learns
    /// to end an example) cut into consecutive blocks of MaxLength tokens, the last one possibly shorter.
    /// </summary>
    /// <param name="examples">Tokenised examples, in order.</param>
    /// <param name="options">MaxLength, truncation side and length policy.</param>
    /// <param name="eosId">The separator for packing (may be null for the other policies).</param>
    /// <exception cref="ArgumentException">Packing without an EOS id.</exception>
    public static IReadOnlyList<TokenizedExample> Arrange(IReadOnlyList<TokenizedExample> examples, DataOptions options, int? eosId)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Length != LengthPolicy.Pack) return examples.Select(e => Truncate(e, options.MaxLength, options.Truncation)).ToArray();
        if (eosId is not int eos) throw new ArgumentException("packing needs an EOS id as the separator between examples", nameof(eosId));
        return Pack(examples, options.MaxLength, eos);
    }

    /// <summary>The example cut to <paramref name="maxLength"/> tokens (the same instance when short enough).</summary>
    public static TokenizedExample Truncate(TokenizedExample example, int maxLength, TruncationSide side)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (example.Length <= maxLength) return example;
        int from = side == TruncationSide.Right ? 0 : example.Length - maxLength;
        return new TokenizedExample(example.InputIds[from..(from + maxLength)], example.Labels[from..(from + maxLength)]);
    }

    private static TokenizedExample[] Pack(IReadOnlyList<TokenizedExample> examples, int blockLength, int eos)
    {
        var ids = new List<int>();
        var labels = new List<int>();
        foreach (var e in examples)
        {
            ids.AddRange(e.InputIds);
            labels.AddRange(e.Labels);
            if (e.Length == 0 || e.InputIds[^1] != eos)
            {
                ids.Add(eos);
                labels.Add(eos);
            }
        }
        var blocks = new TokenizedExample[(ids.Count + blockLength - 1) / blockLength];
        for (int b = 0; b < blocks.Length; b++)
        {
            int from = b * blockLength, n = Math.Min(blockLength, ids.Count - from);
            blocks[b] = new TokenizedExample(ids.GetRange(from, n).ToArray(), labels.GetRange(from, n).ToArray());
        }
        return blocks;
    }

    /// <summary>
    /// Stacks sequences into a batch of T = <paramref name="length"/> (or, when null, the longest sequence):
    /// input_ids[b, t] = seq_b[t] for t &lt; |seq_b| else <paramref name="padId"/>; labels likewise with −100 as
    /// padding; attention_mask[b, t] = 1 for t &lt; |seq_b| else 0.
    /// </summary>
    /// <exception cref="ArgumentException">No sequences, or one longer than <paramref name="length"/>.</exception>
    public static TrainingBatch Collate(IReadOnlyList<TokenizedExample> sequences, int? length, int padId)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("cannot collate an empty batch", nameof(sequences));
        int longest = sequences.Max(s => s.Length);
        int t = length ?? Math.Max(1, longest);
        if (longest > t) throw new ArgumentException($"a sequence of {longest} tokens does not fit the batch length {t}", nameof(sequences));
        int b = sequences.Count;
        var ids = new int[b * t];
        var labels = new int[b * t];
        var mask = new float[b * t];
        Array.Fill(ids, padId);
        Array.Fill(labels, TrainingBatch.IgnoreIndex);
        for (int i = 0; i < b; i++)
        {
            var s = sequences[i];
            s.InputIds.CopyTo(ids, i * t);
            s.Labels.CopyTo(labels, i * t);
            mask.AsSpan(i * t, s.Length).Fill(1f);
        }
        var shape = new Shape(b, t);
        return new TrainingBatch(Tensor.FromInts(ids, shape), Tensor.FromInts(labels, shape), Tensor.FromArray(mask, shape)); // [B, T] ×3
    }
}

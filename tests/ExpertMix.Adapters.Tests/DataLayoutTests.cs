// Length policies: truncation sides, padding to the longest or to MaxLength, packing into blocks; collation invariants.
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;

namespace ExpertMix.Adapters.Tests;

public sealed class DataLayoutTests
{
    private const int EosId = 99;

    /// <summary>Example i: ids 1000·i + 0..len−1, the first <paramref name="masked"/> labels −100.</summary>
    private static TokenizedExample Example(int i, int len, int masked = 0)
    {
        var ids = Enumerable.Range(0, len).Select(t => 1000 * (i + 1) + t).ToArray();
        var labels = ids.Select((id, t) => t < masked ? TrainingBatch.IgnoreIndex : id).ToArray();
        return new TokenizedExample(ids, labels);
    }

    private static readonly TokenizedExample[] Examples = [Example(0, 5, 2), Example(1, 12, 4), Example(2, 1), Example(3, 9, 9), Example(4, 7, 0)];

    [Theory]
    [InlineData(TruncationSide.Right)]
    [InlineData(TruncationSide.Left)]
    public void Truncate_cuts_to_max_length_on_the_chosen_side(TruncationSide side)
    {
        var opts = new DataOptions { MaxLength = 6, Truncation = side };
        var seqs = SequenceLayout.Arrange(Examples, opts, EosId);
        Assert.Equal(Examples.Length, seqs.Count);
        for (int i = 0; i < Examples.Length; i++)
        {
            var e = Examples[i];
            int keep = Math.Min(6, e.Length), from = side == TruncationSide.Right ? 0 : e.Length - keep;
            Assert.Equal(e.InputIds.Skip(from).Take(keep), seqs[i].InputIds);
            Assert.Equal(e.Labels.Skip(from).Take(keep), seqs[i].Labels);
        }
    }

    [Theory]
    [InlineData(LengthPolicy.Truncate)]
    [InlineData(LengthPolicy.Pad)]
    public void Collated_batches_pad_with_pad_id_no_loss_and_no_attention(LengthPolicy policy)
    {
        var opts = new DataOptions { MaxLength = 10, Length = policy };
        var seqs = SequenceLayout.Arrange(Examples, opts, EosId);
        var bo = BatchOptions.For(opts, batchSize: 5, seed: 0, padId: 7);
        using var batch = SequenceLayout.Collate(seqs, bo.FixedLength, bo.PadId);
        int t = policy == LengthPolicy.Pad ? 10 : seqs.Max(s => s.Length);
        Assert.Equal((5, t), (batch.BatchSize, batch.Length));
        var ids = batch.InputIds.ToInt64Array();
        var labels = batch.Labels.ToInt64Array();
        var mask = batch.AttentionMask.ToArray();
        for (int b = 0; b < 5; b++)
        {
            for (int p = 0; p < t; p++)
            {
                int k = b * t + p;
                bool real = p < seqs[b].Length;
                Assert.Equal(real ? seqs[b].InputIds[p] : 7, ids[k]);
                Assert.Equal(real ? seqs[b].Labels[p] : TrainingBatch.IgnoreIndex, labels[k]);
                Assert.Equal(real ? 1f : 0f, mask[k]);
            }
        }
        Assert.Equal(seqs.Sum(s => s.LossTokens), batch.LossTokens);
    }

    [Fact]
    public void Pack_fills_fixed_blocks_with_examples_separated_by_eos_and_keeps_labels()
    {
        var withEos = Example(5, 3);
        var examples = Examples.Append(new TokenizedExample([.. withEos.InputIds, EosId], [.. withEos.Labels, EosId])).ToArray();
        var opts = new DataOptions { MaxLength = 8, Length = LengthPolicy.Pack };
        var blocks = SequenceLayout.Arrange(examples, opts, EosId);

        var expectedIds = new List<int>();
        var expectedLabels = new List<int>();
        foreach (var e in examples)
        {
            expectedIds.AddRange(e.InputIds);
            expectedLabels.AddRange(e.Labels);
            if (e.InputIds[^1] != EosId)
            {
                expectedIds.Add(EosId);
                expectedLabels.Add(EosId);
            }
        }
        Assert.Equal((expectedIds.Count + 7) / 8, blocks.Count);
        Assert.All(blocks.Take(blocks.Count - 1), b => Assert.Equal(8, b.Length));
        Assert.InRange(blocks[^1].Length, 1, 8);
        Assert.Equal(expectedIds, blocks.SelectMany(b => b.InputIds));
        Assert.Equal(expectedLabels, blocks.SelectMany(b => b.Labels));

        // The last block is padded to MaxLength in its batch.
        var bo = BatchOptions.For(opts, 4, 0, padId: 0);
        using var batch = SequenceLayout.Collate([blocks[^1]], bo.FixedLength, bo.PadId);
        Assert.Equal(8, batch.Length);
        Assert.Equal(blocks[^1].Length, (int)batch.AttentionMask.ToArray().Sum());
    }

    [Fact]
    public void Pack_without_eos_and_overlong_collation_are_refused()
    {
        Assert.Throws<ArgumentException>(() => SequenceLayout.Arrange(Examples, new DataOptions { Length = LengthPolicy.Pack }, null));
        Assert.Throws<ArgumentException>(() => SequenceLayout.Collate(Examples, 6, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SequenceLayout.Arrange(Examples, new DataOptions { MaxLength = 0 }, EosId));
    }

    [Fact]
    public void Labels_that_are_not_the_input_ids_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new TokenizedExample([1, 2], [1, 3]));
        Assert.Throws<ArgumentException>(() => new TokenizedExample([1, 2], [1]));
    }
}

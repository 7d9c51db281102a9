// JsonlBatchSource: epochs visit every sequence once, reshuffle per epoch, resume exactly, refuse foreign state.
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;

namespace ExpertMix.Adapters.Tests;

public sealed class DataBatchSourceTests
{
    /// <summary>n sequences; sequence i starts with id i (its identity) and has length 1 + i % 4.</summary>
    private static TokenizedExample[] Sequences(int n, int offset = 0) => Enumerable.Range(0, n)
        .Select(i => Enumerable.Range(0, 1 + i % 4).Select(t => t == 0 ? i + offset : 500 + t).ToArray())
        .Select(ids => new TokenizedExample(ids, (int[])ids.Clone()))
        .ToArray();

    private static BatchOptions Options(int b, ulong seed = 3) => new() { BatchSize = b, Seed = seed, PadId = 0 };

    /// <summary>A batch as comparable arrays; disposes it.</summary>
    private static (long[] Ids, long[] Labels, float[] Mask, int B, int T) Take(IBatchSource s)
    {
        using var batch = s.Next();
        return (batch.InputIds.ToInt64Array(), batch.Labels.ToInt64Array(), batch.AttentionMask.ToArray(), batch.BatchSize, batch.Length);
    }

    private static List<int> Identities((long[] Ids, long[] Labels, float[] Mask, int B, int T) b) =>
        Enumerable.Range(0, b.B).Select(r => (int)b.Ids[r * b.T]).ToList();

    [Theory]
    [InlineData(nameof(LastBatchPolicy.Keep), 6)]
    [InlineData(nameof(LastBatchPolicy.Drop), 5)]
    public void Every_epoch_visits_each_sequence_once_in_a_new_order(string lastName, int batches)
    {
        var last = Enum.Parse<LastBatchPolicy>(lastName);   // by name: the enum is internal to ExpertMix.Adapters
        var source = new JsonlBatchSource(Sequences(23), Options(4) with { LastBatch = last });
        Assert.Equal(batches, source.BatchesPerEpoch);
        var epochs = new List<List<int>>();
        for (int e = 0; e < 3; e++)
        {
            var seen = new List<int>();
            for (int k = 0; k < source.BatchesPerEpoch; k++) seen.AddRange(Identities(Take(source)));
            epochs.Add(seen);
            if (last == LastBatchPolicy.Keep) Assert.Equal(Enumerable.Range(0, 23), seen.Order());
            else Assert.Equal(20, seen.Distinct().Count());
        }
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
        Assert.Equal(2, source.Epoch);
    }

    [Fact]
    public void No_shuffle_keeps_data_order()
    {
        var source = new JsonlBatchSource(Sequences(10), Options(3) with { Shuffle = ShuffleMode.None });
        var seen = Enumerable.Range(0, 8).SelectMany(_ => Identities(Take(source))).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Concat(Enumerable.Range(0, 10)), seen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(15)]
    public void Restored_source_continues_exactly_like_the_uninterrupted_one(int before)
    {
        var data = Sequences(23);
        var original = new JsonlBatchSource(data, Options(4));
        for (int i = 0; i < before; i++) _ = Take(original);
        string state = original.SaveState();
        var expected = Enumerable.Range(0, 14).Select(_ => Take(original)).ToList();

        var resumed = new JsonlBatchSource(data, Options(4));
        Take(resumed); // its own position is overwritten by the restore
        resumed.RestoreState(state);
        foreach (var e in expected)
        {
            var got = Take(resumed);
            Assert.Equal(e.Ids, got.Ids);
            Assert.Equal(e.Labels, got.Labels);
            Assert.Equal(e.Mask, got.Mask);
        }
        Assert.Equal(original.SaveState(), resumed.SaveState());
    }

    [Fact]
    public void State_of_other_data_or_settings_is_refused()
    {
        var source = new JsonlBatchSource(Sequences(23), Options(4));
        Take(source);
        string state = source.SaveState();

        var otherData = new JsonlBatchSource(Sequences(23, offset: 1), Options(4));
        var e1 = Assert.Throws<InvalidDataException>(() => otherData.RestoreState(state));
        Assert.Contains("different data", e1.Message, StringComparison.Ordinal);
        var fewer = new JsonlBatchSource(Sequences(22), Options(4));
        Assert.Throws<InvalidDataException>(() => fewer.RestoreState(state));
        var e2 = Assert.Throws<InvalidDataException>(() => new JsonlBatchSource(Sequences(23), Options(5)).RestoreState(state));
        Assert.Contains("batch_size", e2.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => new JsonlBatchSource(Sequences(23), Options(4, seed: 4)).RestoreState(state));
        Assert.Throws<InvalidDataException>(() => source.RestoreState("{not json"));
        Assert.Throws<InvalidDataException>(() => source.RestoreState(state.Replace("\"cursor\":1", "\"cursor\":99", StringComparison.Ordinal)));
    }

    [Fact]
    public void Validation_batches_enumerate_each_sequence_once_in_order()
    {
        var data = Sequences(10);
        var ids = new List<int>();
        int batches = 0;
        foreach (var batch in JsonlBatchSource.InOrder(data, Options(4)))
        {
            using (batch)
            {
                batches++;
                ids.AddRange(Enumerable.Range(0, batch.BatchSize).Select(r => (int)batch.InputIds.ToInt64Array()[r * batch.Length]));
            }
        }
        Assert.Equal(3, batches);
        Assert.Equal(Enumerable.Range(0, 10), ids);
        var dropped = JsonlBatchSource.InOrder(data, Options(4) with { LastBatch = LastBatchPolicy.Drop }).ToList();
        Assert.Equal([4, 4], dropped.Select(b => b.BatchSize));
        dropped.ForEach(b => b.Dispose());
    }

    [Fact]
    public void End_to_end_load_split_and_batch_from_jsonl()
    {
        using var tmp = new DataFixtures.TempDir();
        var lines = Enumerable.Range(0, 30).Select(i => (i % 3) switch
        {
            0 => $"{{\"text\": {DataFixtures.Q($"story number {i}")}}}",
            1 => $"{{\"prompt\": {DataFixtures.Q($"Q{i}?\n")}, \"completion\": {DataFixtures.Q($"A{i}")}}}",
            _ => $"{{\"messages\": [{{\"role\": \"user\", \"content\": \"hi {i}\"}}, {{\"role\": \"assistant\", \"content\": \"hello {i}\"}}]}}",
        });
        string path = tmp.File("mixed.jsonl", string.Join("\n", lines));
        var tok = DataFixtures.Tiny();
        var data = TrainingData.Load([path], tok, new DataOptions { MaxLength = 48, Length = LengthPolicy.Pad }, ValidationSize.OfCount(6), splitSeed: 1);
        Assert.Equal((24, 6, 0), (data.Train.Count, data.Validation.Count, data.DroppedWithoutLoss));
        Assert.Equal(DataFixtures.Pad, data.PadId);
        var source = data.CreateTrainSource(5, seed: 2);
        using var batch = source.Next();
        Assert.Equal((5, 48), (batch.BatchSize, batch.Length));
        Assert.True(batch.LossTokens > 0);
        Assert.Equal(2, data.ValidationBatches(4).Count(b => { b.Dispose(); return true; }));

        // Cut at 16 tokens, chat rows lose their assistant turn: they are dropped rather than batched without loss.
        var shortData = TrainingData.Load([path], tok, new DataOptions { MaxLength = 16 }, ValidationSize.OfCount(6), splitSeed: 1);
        Assert.True(shortData.DroppedWithoutLoss > 0);
        Assert.Equal(30, shortData.Train.Count + shortData.Validation.Count + shortData.DroppedWithoutLoss);
        Assert.All(shortData.Train.Concat(shortData.Validation), s => Assert.True(s.LossTokens > 0));
    }
}

// Sampler: processed logits vs the PyTorch mirror of HF's warpers, greedy ties, seeded determinism, empirical distributions.
using System.Diagnostics;
using System.Text.Json;
using ExpertMix.Models.Generation;
using ExpertMix.Tensors;
using ExpertMix.Testing;
using Xunit.Abstractions;

namespace ExpertMix.Models.Tests.Generation;

public class SamplerTests(ITestOutputHelper output)
{
    private static GoldenFile LoadGolden() =>
        GoldenFile.Load(Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Golden", "sampling-warpers.safetensors"));

    public static TheoryData<string> GoldenCases()
    {
        var data = new TheoryData<string>();
        using var doc = JsonDocument.Parse(LoadGolden().Meta("cases"));
        foreach (var c in doc.RootElement.EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Processed_logits_match_the_pytorch_mirror_of_the_hf_warpers(string name)
    {
        var golden = LoadGolden();
        using var doc = JsonDocument.Parse(golden.Meta("cases"));
        var c = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var options = new GenerationOptions
        {
            Temperature = c.GetProperty("temperature").GetSingle(),
            TopK = c.GetProperty("top_k").GetInt32(),
            TopP = c.GetProperty("top_p").GetSingle(),
            MinP = c.GetProperty("min_p").GetSingle(),
            RepetitionPenalty = c.GetProperty("repetition_penalty").GetSingle(),
        };
        var logits = golden[name + ".logits"].Data;
        var history = golden[name + ".history"].ToInt64().Select(x => (int)x).ToArray();
        var expected = golden[name + ".expected"].Data;

        var actual = new float[logits.Length];
        new Sampler(options with { Seed = 1 }).ProcessLogits(logits, history, actual);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(expected[i]) == float.IsFinite(actual[i]),
                $"{name}: token {i} kept/removed differs: expected {expected[i]}, actual {actual[i]}");
        }
        TensorAssert.Close(expected, actual, atol: 0, rtol: 1e-6, what: name);
    }

    [Fact]
    public void Greedy_picks_the_lowest_id_among_tied_maxima()
    {
        var sampler = new Sampler(new GenerationOptions());
        Assert.Equal(1, sampler.Sample([0f, 3f, -1f, 3f, 2f], []));
        Assert.Equal(1, Sampler.ArgMax(new[] { float.NegativeInfinity, -5f, -5f }));
    }

    [Fact]
    public void Greedy_decoding_applies_the_repetition_penalty_first()
    {
        // id 1 leads (2.0) but was seen: 2.0 / 1.5 = 1.333 < 1.5 (id 3); a seen negative logit becomes more negative.
        var sampler = new Sampler(new GenerationOptions { RepetitionPenalty = 1.5f });
        float[] logits = [0f, 2f, -1f, 1.5f];
        Assert.Equal(3, sampler.Sample(logits, [1, 1, 2]));
        var processed = new float[4];
        sampler.ProcessLogits(logits, [1, 1, 2], processed);
        Assert.Equal([0f, 2f / 1.5f, -1.5f, 1.5f], processed);
    }

    [Fact]
    public void The_same_seed_gives_the_same_tokens_and_another_seed_differs()
    {
        var rng = new Random(3);
        var rows = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, 500).Select(_ => (float)(rng.NextDouble() * 4)).ToArray()).ToArray();
        int[] Run(ulong seed)
        {
            var s = new Sampler(new GenerationOptions { Temperature = 1f, TopK = 50, TopP = 0.95f, Seed = seed });
            var history = new List<int>();
            foreach (var row in rows) history.Add(s.Sample(row, history));
            return [.. history];
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }

    [Fact]
    public void Batch_row_zero_reproduces_the_unbatched_run_and_rows_draw_independently()
    {
        var options = new GenerationOptions { Temperature = 1f, Seed = 99 };
        var logits = Enumerable.Range(0, 100).Select(i => (float)Math.Sin(i)).ToArray();
        var single = new Sampler(options);
        var batch = Sampler.ForBatch(options, 3);
        var s = Enumerable.Range(0, 40).Select(_ => single.Sample(logits, [])).ToArray();
        var rows = batch.Select(b => Enumerable.Range(0, 40).Select(_ => b.Sample(logits, [])).ToArray()).ToArray();
        Assert.Equal(s, rows[0]);
        Assert.NotEqual(rows[0], rows[1]);
        Assert.NotEqual(rows[1], rows[2]);
    }

    [Fact]
    public void Multinomial_draw_frequencies_match_the_softmax_probabilities()
    {
        float[] logits = [0.5f, -1f, 2f, 0f, 1f, -0.5f, 1.5f, -2f, 0.25f, 0.75f];
        double[] p = Softmax(logits, 1.0);
        AssertFrequencies(new GenerationOptions { Temperature = 1f, Seed = 7 }, logits, p);
    }

    [Fact]
    public void Temperature_and_top_k_draw_from_the_renormalised_kept_tokens()
    {
        float[] logits = [0.5f, -1f, 2f, 0f, 1f, -0.5f, 1.5f, -2f, 0.25f, 0.75f];
        // τ = 0.5 then top-3 keeps ids 2, 6, 4 (logits 2, 1.5, 1): reference softmax of 2x over those three.
        var reference = new double[logits.Length];
        var kept = new[] { 2, 6, 4 };
        double z = kept.Sum(i => Math.Exp(logits[i] / 0.5));
        foreach (int i in kept) reference[i] = Math.Exp(logits[i] / 0.5) / z;
        AssertFrequencies(new GenerationOptions { Temperature = 0.5f, TopK = 3, Seed = 11 }, logits, reference);
    }

    [Fact]
    public void Top_p_on_a_large_vocabulary_matches_a_full_sort_reference()
    {
        const int v = 151_936;
        var rng = new Rng(5);
        var logits = new float[v];
        for (int i = 0; i < v; i++) logits[i] = (float)(rng.NextNormal() * 3);
        const float topP = 0.9f;

        // Reference: full descending sort in double; a token survives while the mass ranked above it is < p.
        var order = Enumerable.Range(0, v).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
        double max = logits[order[0]], total = logits.Sum(x => Math.Exp(x - max));
        var expectedKept = new HashSet<int>();
        double mass = 0;
        foreach (int i in order)
        {
            if (expectedKept.Count > 0 && mass >= topP * total) break;
            expectedKept.Add(i);
            mass += Math.Exp(logits[i] - max);
        }

        var sampler = new Sampler(new GenerationOptions { Temperature = 1f, TopP = topP, Seed = 1 });
        var processed = new float[v];
        sampler.ProcessLogits(logits, [], processed);
        var kept = Enumerable.Range(0, v).Where(i => float.IsFinite(processed[i])).ToHashSet();
        Assert.True(expectedKept.SetEquals(kept), $"kept {kept.Count} tokens, expected {expectedKept.Count}");

        const int n = 50;
        for (int i = 0; i < 2 * n; i++) sampler.Sample(logits, []); // warm up the tiered JIT
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) sampler.Sample(logits, []);
        output.WriteLine($"V = {v}: top-p 0.9 sample {sw.Elapsed.TotalMilliseconds / n:F2} ms/token (nucleus {kept.Count} tokens)");
        var topK = new Sampler(new GenerationOptions { Temperature = 0.8f, TopK = 40, TopP = 0.95f, Seed = 1 });
        sw.Restart();
        for (int i = 0; i < n; i++) topK.Sample(logits, []);
        output.WriteLine($"V = {v}: top-k 40 + top-p 0.95 sample {sw.Elapsed.TotalMilliseconds / n:F2} ms/token");
        var plain = new Sampler(new GenerationOptions { Temperature = 0.7f, Seed = 1 });
        sw.Restart();
        for (int i = 0; i < n; i++) plain.Sample(logits, []);
        output.WriteLine($"V = {v}: temperature-only sample {sw.Elapsed.TotalMilliseconds / n:F2} ms/token");
        var greedy = new Sampler(new GenerationOptions { RepetitionPenalty = 1.1f });
        var history = Enumerable.Range(0, 2048).Select(i => i * 37 % v).ToArray();
        sw.Restart();
        for (int i = 0; i < n; i++) greedy.Sample(logits, history);
        output.WriteLine($"V = {v}: greedy + repetition penalty (2048-token history) {sw.Elapsed.TotalMilliseconds / n:F2} ms/token");
    }

    [Fact]
    public void Top_k_on_a_large_vocabulary_keeps_exactly_the_k_largest()
    {
        const int v = 151_936, k = 40;
        var rng = new Rng(9);
        var logits = new float[v];
        for (int i = 0; i < v; i++) logits[i] = (float)rng.NextNormal();
        var expected = Enumerable.Range(0, v).OrderByDescending(i => logits[i]).Take(k).ToHashSet();
        var processed = new float[v];
        new Sampler(new GenerationOptions { Temperature = 1f, TopK = k, Seed = 1 }).ProcessLogits(logits, [], processed);
        Assert.True(expected.SetEquals(Enumerable.Range(0, v).Where(i => float.IsFinite(processed[i]))));
    }

    [Fact]
    public void Top_p_over_equal_logits_keeps_the_smallest_prefix_reaching_p_lowest_ids_first()
    {
        // 10 equal probabilities of 0.1: ascending cumulative 0.1 … 1.0, HF removes c ≤ 0.5 → 5 tokens survive.
        var processed = new float[10];
        new Sampler(new GenerationOptions { Temperature = 1f, TopP = 0.5f, Seed = 1 }).ProcessLogits(new float[10], [], processed);
        Assert.Equal([0f, 0f, 0f, 0f, 0f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], processed);
        // p = 0 keeps only the top token
        float[] logits = [0.1f, 2f, 1f];
        new Sampler(new GenerationOptions { Temperature = 1f, TopP = 0f, Seed = 1 }).ProcessLogits(logits, [], processed.AsSpan(0, 3));
        Assert.Equal([float.NegativeInfinity, 2f, float.NegativeInfinity], processed[..3]);
    }

    [Fact]
    public void Invalid_logits_and_history_ids_fail_with_clear_messages()
    {
        var sampler = new Sampler(new GenerationOptions { Temperature = 1f, RepetitionPenalty = 1.1f, Seed = 1 });
        var nan = Assert.Throws<InvalidOperationException>(() => sampler.Sample([0f, float.NaN], []));
        Assert.Contains("logits[1]", nan.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample([0f, 1f], [0, 5]));
        Assert.Contains("history[1] = 5", bad.Message, StringComparison.Ordinal);
        var allMasked = Assert.Throws<InvalidOperationException>(() => sampler.Sample([float.NegativeInfinity, float.NegativeInfinity], []));
        Assert.Contains("−∞", allMasked.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => sampler.Sample([], []));
    }

    private static double[] Softmax(float[] logits, double temperature)
    {
        double max = logits.Max() / temperature;
        var e = logits.Select(x => Math.Exp(x / temperature - max)).ToArray();
        double z = e.Sum();
        return e.Select(x => x / z).ToArray();
    }

    /// <summary>Pearson chi-square over the categories with p &gt; 0 (and zero counts elsewhere); fixed seed, so deterministic.</summary>
    private void AssertFrequencies(GenerationOptions options, float[] logits, double[] p)
    {
        const int draws = 100_000;
        var sampler = new Sampler(options);
        var counts = new int[logits.Length];
        for (int i = 0; i < draws; i++) counts[sampler.Sample(logits, [])]++;
        double chi2 = 0;
        int categories = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == 0)
            {
                Assert.True(counts[i] == 0, $"token {i} has probability 0 but was drawn {counts[i]} times");
                continue;
            }
            double expected = draws * p[i];
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
            categories++;
        }
        output.WriteLine($"chi-square {chi2:F2} over {categories} categories ({draws} draws)");
        // 99.9th percentile of chi-square with ≤ 9 degrees of freedom is 27.9.
        Assert.True(chi2 < 27.9, $"chi-square {chi2:F2} with {categories - 1} degrees of freedom: counts [{string.Join(", ", counts)}], p [{string.Join(", ", p.Select(x => x.ToString("F4")))}]");
    }
}

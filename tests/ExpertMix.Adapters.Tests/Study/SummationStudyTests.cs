// The summation study end to end on stories260K with two small synthetic domains, plus its building blocks.
using System.Text.Json;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Study;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Study;

public class SummationStudyTests
{
    [Fact]
    public void Combinations_are_every_pair_then_all_domains()
    {
        var three = SummationStudy.Combinations(["a", "b", "c"]).Select(c => string.Join('+', c));
        Assert.Equal(["a+b", "a+c", "b+c", "a+b+c"], three);
        Assert.Equal(["a+b"], SummationStudy.Combinations(["a", "b"]).Select(c => string.Join('+', c)));
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_reason()
    {
        string dir = LoraFixtures.TempDir();
        string f = Path.Combine(dir, "d.jsonl");
        File.WriteAllText(f, "{\"prompt\":\"a\",\"completion\":\"b\"}\n");
        SummationStudyOptions Make(params StudyDomain[] d) => new() { ModelDirectory = dir, Domains = d, OutputDirectory = dir };
        Assert.Contains("at least two domains", Assert.Throws<ArgumentException>(() => Make(new StudyDomain("a", f)).Validate()).Message);
        Assert.Contains("'a' is given twice", Assert.Throws<ArgumentException>(() => Make(new StudyDomain("a", f), new StudyDomain("a", f)).Validate()).Message);
        Assert.Contains("missing.jsonl", Assert.Throws<FileNotFoundException>(() => Make(new StudyDomain("a", f), new StudyDomain("b", Path.Combine(dir, "missing.jsonl"))).Validate()).Message);
        Assert.Contains("steps must be ≥ 3", Assert.Throws<ArgumentException>(() => (Make(new StudyDomain("a", f), new StudyDomain("b", f)) with { Steps = 2 }).Validate()).Message);
        Assert.Contains("without '+'", Assert.Throws<ArgumentException>(() => Make(new StudyDomain("a+b", f), new StudyDomain("b", f)).Validate()).Message);
    }

    [Fact]
    public void Paired_batches_align_prompt_and_completion_without_masking_and_drop_the_partial_batch()
    {
        var items = Enumerable.Range(0, 5).Select(i => new PairedExample([i, 9, 9], [7, i, 9], [1f, 0f, 0f])).ToArray();
        var batches = PairedBatchSource.Batches(items, 2).ToList();
        Assert.Equal(2, batches.Count);                            // 5 rows, batch 2: the fifth is dropped
        Assert.Equal([0L, 9, 9, 1, 9, 9], batches[0].InputIds.ToInt64Array());
        Assert.Equal([7L, 0, 9, 7, 1, 9], batches[0].Labels.ToInt64Array());
        Assert.Equal(4, batches[0].LossTokens);                    // labels[:, 1:] all count: no −100
        Assert.Equal([1f, 0, 0, 1, 0, 0], batches[0].AttentionMask.ToArray());
        foreach (var b in batches) b.Dispose();

        var source = new PairedBatchSource(items, 2, seed: 3);
        Assert.Equal(2, source.BatchesPerEpoch);
        using (source.Next()) { }
        string state = source.SaveState();
        using var expected = source.Next();
        var resumed = new PairedBatchSource(items, 2, seed: 99);
        resumed.RestoreState(state);
        using var actual = resumed.Next();
        Assert.Equal(expected.InputIds.ToInt64Array(), actual.InputIds.ToInt64Array());
    }

    [SkippableFact]
    public void Study_on_stories260K_reports_consistent_numbers_reuses_adapters_and_pins_its_recipe()
    {
        string model = SharedData.Require("models/stories260K");
        string dir = LoraFixtures.TempDir();
        var options = new SummationStudyOptions
        {
            ModelDirectory = model,
            Domains = [new("count", WriteDomain(dir, "count", i => ($"Count: {i}, {i + 1}, {i + 2},", $" {i + 3}, {i + 4}."))),
                       new("story", WriteDomain(dir, "story", i => ($"Tom had {i} red balls.", " He gave one to Lily and she was happy.")))],
            OutputDirectory = Path.Combine(dir, "out"),
            Rank = 2,
            Alpha = 8,
            Steps = 4,
            BatchSize = 4,
            MaxLength = 48,
            LearningRate = 1e-2,
            Seeds = [1, 2],
            MaxTrainRows = 24,
            MaxTestRows = 8,
            FaithfulEvalRows = 8,
            FaithfulEvalLength = 24,
            EvalBatchSize = 4,
        };
        var log = new List<string>();
        var report = SummationStudy.Run(options, new StudyProgress(log.Add));
        Assert.Equal(2, report.Objectives.Count);
        Assert.Contains(log, l => l.Contains("training count+story", StringComparison.Ordinal));
        foreach (var r in report.Objectives)
        {
            Assert.Equal(2, r.Rows.Count);                          // one pair × two seeds
            foreach (var row in r.Rows)
            {
                Assert.True(row.CatVsDeltaSumMaxLogitDiff < 1e-4, $"cat and delta-sum differ by {row.CatVsDeltaSumMaxLogitDiff}");
                Assert.InRange(row.FactorSumError, 1e-3, 10);        // independent A: cross terms make factor-sum inexact
                Assert.Equal(100 * (row.DeltaSumPerplexity - row.JointPerplexity) / row.JointPerplexity, row.DeltaSumVsJointPercent, 9);
                Assert.True(row.JointPerplexity < row.BasePerplexity, $"{r.Objective} seed {row.Seed}: joint {row.JointPerplexity} not below base {row.BasePerplexity}");
                Assert.InRange(row.RmsCosine, 0, 1);
                Assert.Equal(row.BasePerplexity, r.Rows[0].BasePerplexity);    // the base does not depend on the seed
                string adapters = Path.Combine(options.OutputDirectory, "adapters", r.Objective.ToString().ToLowerInvariant(), $"seed-{row.Seed}");
                using var a = PeftFormat.Load(Path.Combine(adapters, "count"));
                using var b = PeftFormat.Load(Path.Combine(adapters, "story"));
                Assert.Equal(Orthogonality.Compare(a, b).RmsCosine, row.RmsCosine, 12);
            }
            Assert.NotEqual(r.Rows[0].JointPerplexity, r.Rows[1].JointPerplexity);  // seeds matter
        }
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(options.OutputDirectory, "report.json"))))
        {
            Assert.Equal(2, json.RootElement.GetProperty("objectives").GetArrayLength());
        }
        Assert.Contains("ΔPPL% delta-sum", File.ReadAllText(Path.Combine(options.OutputDirectory, "report.md")), StringComparison.Ordinal);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(options.OutputDirectory, "scatter-standard.svg")), StringComparison.Ordinal);

        log.Clear();
        var again = SummationStudy.Run(options, new StudyProgress(log.Add));
        Assert.DoesNotContain(log, l => l.Contains("training", StringComparison.Ordinal));
        Assert.Equal(report.Objectives.SelectMany(o => o.Rows).Select(x => x.DeltaSumPerplexity), again.Objectives.SelectMany(o => o.Rows).Select(x => x.DeltaSumPerplexity));

        var other = Assert.Throws<InvalidOperationException>(() => SummationStudy.Run(options with { Rank = 3 }));
        Assert.Contains("another recipe", other.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Faithful_examples_pad_prompt_and_completion_with_eos_and_mask_only_the_prompt()
    {
        string model = SharedData.Require("models/stories260K");
        string dir = LoraFixtures.TempDir();
        var tokenizer = Tokenizer.FromDirectory(model);
        var options = new SummationStudyOptions
        {
            ModelDirectory = model,
            Domains = [new("a", WriteDomain(dir, "a", i => ($"Q{i}", $"A{i}"))), new StudyDomain("b", WriteDomain(dir, "b", i => ($"q {i}", $"a {i}")))],
            OutputDirectory = dir,
            MaxLength = 16,
            FaithfulEvalRows = 8,
            FaithfulEvalLength = 16,
            EvalBatchSize = 2,
            Objectives = [StudyObjective.Faithful],
        };
        var data = new StudyData(options, tokenizer);
        Assert.Equal(40, data.Sizes[0].Rows);
        Assert.Equal((32, 4, 4), (data.Sizes[0].Train, data.Sizes[0].Validation, data.Sizes[0].Test));
        var (batches, protocol) = data.TestSet(StudyObjective.Faithful, ["a"]);
        Assert.Equal(PerplexityProtocol.MeanOfBatches, protocol);
        using var batch = batches().First();
        var ids = batch.InputIds.ToInt64Array();
        var labels = batch.Labels.ToInt64Array();
        var mask = batch.AttentionMask.ToArray();
        int eos = tokenizer.EosId!.Value;
        for (int r = 0; r < batch.BatchSize; r++)
        {
            var row = ids.Skip(r * 16).Take(16).Select(v => (int)v).ToArray();
            int promptLength = row.TakeWhile(v => v != eos).Count();
            string prompt = tokenizer.Decode(row[..promptLength], SkipSpecial.Yes);
            Assert.StartsWith("Q", prompt, StringComparison.Ordinal);
            var answer = labels.Skip(r * 16).Take(16).Select(v => (int)v).TakeWhile(v => v != eos).ToArray();
            Assert.Equal("A" + prompt[1..], tokenizer.Decode(answer, SkipSpecial.Yes));   // the row's own completion, aligned at position 0
            Assert.All(labels.Skip(r * 16).Take(16).Skip(answer.Length), v => Assert.Equal(eos, v));
            Assert.Equal(Enumerable.Range(0, 16).Select(t => t < promptLength ? 1f : 0f), mask.Skip(r * 16).Take(16));
        }
    }

    [SkippableFact]
    public void Study_runs_on_a_gpt2_directory_with_the_papers_default_targets()
    {
        string tokenizer = SharedData.Require("tokenizers/gpt2/tokenizer.json");
        string dir = LoraFixtures.TempDir(), model = Path.Combine(dir, "gpt2");
        Directory.CreateDirectory(model);
        File.Copy(tokenizer, Path.Combine(model, "tokenizer.json"));
        // tiny-gpt2's weights with a full GPT-2 vocabulary (50257 rows of wte) so the real GPT-2 tokenizer fits.
        string tiny = LoraFixtures.ModelDir("tiny-gpt2");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(tiny, "config.json")))!;
        config["vocab_size"] = 50257;
        config["eos_token_id"] = 50256;
        config["bos_token_id"] = 50256;
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        using (var source = ExpertMix.Tensors.IO.SafetensorsFile.Open(Path.Combine(tiny, "model.safetensors")))
        {
            var rng = new ExpertMix.Tensors.Rng(5);
            var tensors = source.Names.ToDictionary(n => n, n => source.GetTensor(n));
            tensors["transformer.wte.weight"] = ExpertMix.Tensors.Tensor.Randn(new ExpertMix.Tensors.Shape(50257, 64), rng, 0.02f); // [V, C]
            ExpertMix.Tensors.IO.SafetensorsWriter.Write(Path.Combine(model, "model.safetensors"), tensors);
        }
        var options = new SummationStudyOptions
        {
            ModelDirectory = model,
            Domains = [new("count", WriteDomain(dir, "count", i => ($"Count: {i},", $" {i + 1}."))), new("story", WriteDomain(dir, "story", i => ($"Tom had {i} balls.", " He was happy.")))],
            OutputDirectory = Path.Combine(dir, "out"),
            Steps = 3,
            BatchSize = 2,
            MaxLength = 24,
            Seeds = [1],
            FaithfulEvalRows = 4,
            FaithfulEvalLength = 16,
            EvalBatchSize = 2,
        };
        var report = SummationStudy.Run(options);
        Assert.Equal(6, report.AdaptedModules);                       // per layer c_attn, attn.c_proj, mlp.c_proj (36 on GPT-2 small)
        Assert.Contains("c_attn", report.Targets, StringComparison.Ordinal);
        Assert.Equal(2, report.Objectives.Count);
        Assert.All(report.Objectives.SelectMany(o => o.Rows), r => Assert.True(r.CatVsDeltaSumMaxLogitDiff < 1e-4 && double.IsFinite(r.DeltaSumPerplexity)));
    }

    private static string WriteDomain(string dir, string name, Func<int, (string Prompt, string Completion)> row)
    {
        string path = Path.Combine(dir, name + ".jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new { prompt = row(i).Prompt, completion = row(i).Completion })));
        return path;
    }
}

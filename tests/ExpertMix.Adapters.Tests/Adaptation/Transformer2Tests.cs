// Transformer² runtime on a tiny random chat Llama: exact base dispatch for `other`, exact switching, every strategy
// end to end through the eval harness, deterministic few-shot CEM, svf_mixture.json and the dispatch confusion matrix.
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Tests.Evaluation;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Models;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Adaptation;

/// <summary>One tiny chat Llama directory for the whole class.</summary>
public sealed class TinyChatModelFixture : IDisposable
{
    public string Dir { get; } = TinyChatLlama.Write(seed: 11);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class Transformer2Tests(TinyChatModelFixture fixture) : IClassFixture<TinyChatModelFixture>
{
    private static readonly long[] Ids = [3, 17, 200, 45, 9, 120, 77, 5, 250, 33];

    /// <summary>Correct for every completion (so the log-likelihood tie-break decides among candidates).</summary>
    private sealed class AlwaysCorrect : IVerifier
    {
        public string Name => "always";

        public Verdict Verify(string completion, string gold) => new(true, completion);
    }

    private (ICausalLm Model, Transformer2 T2) Runtime(Transformer2Options options, bool classifier = false, bool reasoning = false)
    {
        var model = CausalLm.Load(fixture.Dir);
        var tokenizer = Tokenizer.FromDirectory(fixture.Dir);
        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(fixture.Dir, "tokenizer_config.json"));
        var basis = SvfBasis.Decompose(model);
        var host = new SvfHost(model, basis);
        var experts = new Dictionary<string, SvfExpert>
        {
            ["math"] = SvfExpert.CreateInitial("math", basis, new Rng(1), mean: 0, std: 1.5),
            ["code"] = SvfExpert.CreateInitial("code", basis, new Rng(2), mean: 0, std: 1.5),
        };
        if (reasoning) experts["reasoning"] = SvfExpert.CreateInitial("reasoning", basis, new Rng(3), mean: 0, std: 1.5);
        var cls = classifier ? SvfExpert.CreateInitial("cls", basis, new Rng(4), mean: 0, std: 1.5) : null;
        return (model, new Transformer2(new Generator(model, tokenizer, template), host, experts, options, cls));
    }

    [Fact]
    public void Other_and_unmapped_categories_dispatch_to_the_exact_base_weights_never_the_last_expert()
    {
        var (model, t2) = Runtime(new Transformer2Options());
        using var m = model;
        using var rt = t2;
        t2.Host.Clear();
        var baseLogits = LoraFixtures.Logits(model, Ids);
        using (t2.Apply(new T2Dispatch("math")))
        {
            Assert.NotEqual(baseLogits, LoraFixtures.Logits(model, Ids));
        }
        t2.Host.Apply(t2.Experts["code"]);   // a loaded expert must not leak into `other`
        using (t2.Apply(new T2Dispatch(ClassificationPrompt.Other)))
        {
            Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));
        }
        t2.Host.Apply(t2.Experts["math"]);
        using (t2.Apply(new T2Dispatch(ClassificationPrompt.Reasoning)))   // no reasoning expert mapped
        {
            Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));
        }
        // Soft dispatch with all mass on `other` is a constant mask: W' = W up to the composition's rounding.
        using (t2.Apply(new T2Dispatch(ClassificationPrompt.Other, [0, 0, 0, 1])))
        {
            TensorAssert.Close(baseLogits, LoraFixtures.Logits(model, Ids), 1e-4, 1e-4, "soft other-only logits");
        }
        Assert.Throws<ArgumentException>(() => new Transformer2(t2.Generator, t2.Host, new Dictionary<string, SvfExpert> { ["other"] = t2.Experts["math"] }));
    }

    [Fact]
    public void Switching_experts_and_back_restores_the_base_exactly_and_never_writes_base_weights()
    {
        var (model, t2) = Runtime(new Transformer2Options());
        using var m = model;
        using var rt = t2;
        var before = model.NamedParameters().Select(p => p.Param.ToArray()).ToList();
        var baseLogits = LoraFixtures.Logits(model, Ids);
        float[] math, code;
        using (t2.Apply(new T2Dispatch("math"))) math = LoraFixtures.Logits(model, Ids);
        Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));
        using (t2.Apply(new T2Dispatch("code"))) code = LoraFixtures.Logits(model, Ids);
        Assert.NotEqual(math, code);
        using (t2.Apply(new T2Dispatch("math"))) Assert.Equal(math, LoraFixtures.Logits(model, Ids));
        Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));
        Assert.Equal(before, model.NamedParameters().Select(p => p.Param.ToArray()).ToList());
    }

    public static TheoryData<T2Strategy, LabelDispatch> Strategies => new()
    {
        { T2Strategy.Prompt, LabelDispatch.Hard },
        { T2Strategy.Classifier, LabelDispatch.Hard },
        { T2Strategy.LabelScore, LabelDispatch.Hard },
        { T2Strategy.LabelScore, LabelDispatch.Soft },
        { T2Strategy.FewShot, LabelDispatch.Hard },
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Each_strategy_runs_end_to_end_and_reports_first_and_second_pass_times(T2Strategy strategy, LabelDispatch dispatch)
    {
        var options = new Transformer2Options
        {
            Strategy = strategy,
            Dispatch = dispatch,
            FirstPassMaxNewTokens = 8,
            Cem = new CemOptions { Population = 3, Iterations = 1, TestInterval = 0, Seed = 5 },
        };
        var (model, t2) = Runtime(options, classifier: strategy == T2Strategy.Classifier);
        using var m = model;
        using var rt = t2;
        string data = EvalTaskTests.WriteMc(60);
        var task = EvalTasks.Get("mc-jsonl") with { MaxNewTokens = 3 };
        if (strategy == T2Strategy.FewShot)
        {
            var shots = task.Examples(data, EvalSplit.Dev, 2, 0);
            Assert.DoesNotContain(shots.Select(s => s.Id), task.Examples(data, EvalSplit.Test).Select(e => e.Id).Contains);
            var adapted = t2.AdaptFewShot(task, shots);
            Assert.Equal(adapted.Alpha, t2.FewShotAlpha);
        }
        var baseLogits = LoraFixtures.Logits(model, Ids);
        var report = new EvalHarness(t2.Generator).Run(task, data, new EvalOptions { Limit = 3, BatchSize = 2, FirstPass = t2.AsFirstPass() });
        Assert.Equal(3, report.N);
        Assert.True(report.FirstPassSeconds > 0);
        Assert.True(report.SecondPassSeconds > 0);
        Assert.Equal(3, t2.Log.Count);
        Assert.All(report.Records, r => Assert.NotNull(r.FirstPassKey));
        foreach (var d in t2.Log)
        {
            if (strategy == T2Strategy.FewShot)
            {
                Assert.Equal(Transformer2.FewShotKey, d.Label);
                Assert.Equal(t2.FewShotAlpha, d.Alpha);
                continue;
            }
            Assert.Contains(d.Label, ClassificationPrompt.Labels);
            if (strategy is T2Strategy.Prompt or T2Strategy.Classifier) Assert.Equal(ClassificationPrompt.Parse(d.FirstPassText!), d.Label);
            if (strategy == T2Strategy.LabelScore)
            {
                Assert.Equal(4, d.Scores!.Length);
                Assert.Equal(ClassificationPrompt.Labels[Array.IndexOf(d.Scores, d.Scores.Max())], d.Label);
                if (dispatch == LabelDispatch.Soft) Assert.Equal(1.0, d.Alpha!.Sum(), 9);
                else Assert.Null(d.Alpha);
            }
        }
        Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));   // the harness restores the base after each group

        var one = t2.Generate("Tom has 3 apples and buys 2 more. How many now?", new GenerationOptions { MaxNewTokens = 4 });
        Assert.True(one.FirstPassSeconds > 0 && one.SecondPassSeconds > 0);
        Assert.InRange(one.Output.TokenIds.Count, 1, 4);
        Assert.Equal(one.Dispatch, t2.Log[^1]);
        Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));
    }

    [Fact]
    public void Few_shot_cem_is_deterministic_per_seed_and_selects_alpha_in_the_unit_box()
    {
        string data = EvalTaskTests.WriteMc(60);
        var task = EvalTasks.Get("mc-jsonl") with { MaxNewTokens = 3, Verifier = new AlwaysCorrect() };
        var results = new List<T2FewShotResult>();
        foreach (var scope in new[] { MixtureScope.Global, MixtureScope.Global, MixtureScope.PerMatrix })
        {
            var options = new Transformer2Options { Strategy = T2Strategy.FewShot, Scope = scope, Cem = new CemOptions { Population = 4, Iterations = 2, TestInterval = 0, Seed = 9 } };
            var (model, t2) = Runtime(options, reasoning: true);
            using var m = model;
            using var rt = t2;
            var shots = task.Examples(data, EvalSplit.Dev, 2, 0);
            var r = t2.AdaptFewShot(task, shots);
            Assert.Equal(t2.FewShotDimensions, r.Alpha.Length);
            Assert.Equal(scope == MixtureScope.Global ? 3 : 3 * t2.Host.Linears.Count, r.Alpha.Length);
            Assert.All(r.Alpha, a => Assert.InRange(a, 0.0, 1.0));
            Assert.Equal(["code", "math", "reasoning"], r.Labels);
            Assert.Equal(8, r.Search.Evaluations);
            Assert.Equal(16, r.ModelCalls);
            // Every shot is correct, so the fitness is (1, mean log-likelihood of the own completions), re-derivable from α.
            var again = t2.ScoreShots(task, shots, r.Alpha);
            Assert.Equal(1.0, r.Search.BestFitness.Primary);
            Assert.Equal(again.MeanLogLikelihood, r.Search.BestFitness.TieBreak, 9);
            Assert.True(again.MeanLogLikelihood < 0);
            results.Add(r);
        }
        Assert.Equal(results[0].Alpha, results[1].Alpha);
        Assert.Equal(results[0].Search.History.Select(h => h.BestFitness), results[1].Search.History.Select(h => h.BestFitness));
    }

    [Fact]
    public void Few_shot_with_validation_selects_the_best_dev_checked_alpha()
    {
        string data = EvalTaskTests.WriteMc(80);
        var task = EvalTasks.Get("mc-jsonl") with { MaxNewTokens = 2, Verifier = new AlwaysCorrect() };
        var options = new Transformer2Options { Strategy = T2Strategy.FewShot, Cem = new CemOptions { Population = 3, Iterations = 2, TestInterval = 1, Seed = 3 } };
        var (model, t2) = Runtime(options);
        using var m = model;
        using var rt = t2;
        var pool = task.Examples(data, EvalSplit.Dev, 4, 1);
        var r = t2.AdaptFewShot(task, [.. pool.Take(2)], [.. pool.Skip(2)]);
        Assert.Equal(2, r.Search.History.Count(h => h.DevScore is not null));
        Assert.Equal(r.Search.BestDev, r.Alpha);
        Assert.Equal(r.Alpha, t2.FewShotAlpha);
        Assert.Equal((6 * 2) + (2 * 2), r.ModelCalls);   // 6 evaluations × 2 shots + 2 checks × 2 validation examples
    }

    [Fact]
    public void Svf_mixture_json_round_trips_and_installs_the_mixture()
    {
        var (model, t2) = Runtime(new Transformer2Options { Strategy = T2Strategy.FewShot });
        using var m = model;
        using var rt = t2;
        string dir = LoraFixtures.TempDir();
        t2.Experts["code"].Save(Path.Combine(dir, "code"));
        t2.Experts["math"].Save(Path.Combine(dir, "math"));
        int mCount = t2.Host.Linears.Count;
        double[] perLayer = [.. Enumerable.Range(0, 2 * mCount).Select(i => (i % 5) / 4.0)];
        new SvfMixture(["../code", "../math"], perLayer, PerLayer: true).Save(Path.Combine(dir, "mix"));
        new SvfMixture(["code", "math"], [0.25, 0.75], PerLayer: false).Save(Path.Combine(dir, "g.json"));
        var back = SvfMixture.Load(Path.Combine(dir, "mix"));
        Assert.Equal(perLayer, back.Alpha);
        Assert.True(back.PerLayer && back.MaskSpace);
        Assert.Equal(Path.Combine(dir, "code"), back.Experts[0]);
        var global = SvfMixture.Load(Path.Combine(dir, "g.json"));
        Assert.Equal([0.25, 0.75], global.Alpha);
        Assert.False(global.PerLayer);

        t2.Host.ApplyMixture([t2.Experts["code"], t2.Experts["math"]], global.Alpha);
        var expected = LoraFixtures.Logits(model, Ids);
        t2.Host.Clear();
        var loaded = global.ApplyTo(t2.Host);
        Assert.Equal(expected, LoraFixtures.Logits(model, Ids));
        foreach (var e in loaded) e.Dispose();
        t2.UseMixture(global.Alpha);
        using (t2.Apply(t2.Classify("anything"))) Assert.Equal(expected, LoraFixtures.Logits(model, Ids));
        File.WriteAllText(Path.Combine(dir, "bad.json"), "{\"experts\": [\"code\"], \"alpha\": [\"x\"]}");
        var ex = Assert.Throws<InvalidDataException>(() => SvfMixture.Load(Path.Combine(dir, "bad.json")));
        Assert.Contains("alpha[0]", ex.Message, StringComparison.Ordinal);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Dispatch_confusion_counts_true_task_rows_against_label_columns()
    {
        var c = new DispatchConfusion();
        c.Add("math", "math");
        c.Add("math", "code");
        c.Add("math", "nonsense");
        c.Add("code", "code");
        Assert.Equal(["math", "code"], c.Rows);
        Assert.Equal([1, 1, 0, 1], c["math"]);
        Assert.Equal([1, 0, 0, 0], c["code"]);
        Assert.Equal(4, c.Total);
        Assert.Equal(2 / 4.0, c.Accuracy, 12);
        Assert.Equal("math", DispatchConfusion.CategoryOfTask("gsm8k"));
        Assert.Equal("reasoning", DispatchConfusion.CategoryOfTask("arc-challenge"));
        Assert.Equal("code", DispatchConfusion.CategoryOfTask("mbpp"));
        Assert.Equal("other", DispatchConfusion.CategoryOfTask("pubmedqa"));
        Assert.Equal(1, c.ToDictionary()["math"]["other"]);
    }
}

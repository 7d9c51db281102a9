// The harness end to end on stories260K: scripted verifier for a known accuracy, JSONL records, first-pass grouping and timing.
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class EvalHarnessTests
{
    /// <summary>Correct exactly when the gold is "A"; records every completion it saw.</summary>
    private sealed class GoldIsAVerifier : IVerifier
    {
        public List<string> Seen { get; } = [];

        public string Name => "gold-is-a";

        public Verdict Verify(string completion, string gold)
        {
            Seen.Add(completion);
            return new Verdict(gold == "A", completion.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static EvalHarness Harness()
    {
        string dir = SharedData.Require("models/stories260K");
        var model = CausalLm.Load(dir);
        return new EvalHarness(model, Tokenizer.FromDirectory(dir));
    }

    [SkippableFact]
    public void Accuracy_records_and_timings_follow_the_verdicts()
    {
        var harness = Harness();
        using var model = harness.Generator.Model;
        string file = EvalTaskTests.WriteMc(12);
        var verifier = new GoldIsAVerifier();
        var task = EvalTasks.Get("mc-jsonl") with { Verifier = verifier, MaxNewTokens = 6 };
        var progress = new List<(int, int)>();
        var report = harness.Run(task, file, new EvalOptions { Limit = 5, Seeds = [4], BatchSize = 2 }, (d, t) => progress.Add((d, t)));
        var expected = task.Examples(file, EvalSplit.Test, 5, 4);
        Assert.Equal(5, report.N);
        Assert.Equal(expected.Select(e => e.Id), report.Records.Select(r => r.Id));
        Assert.Equal(expected.Count(e => e.Gold == "A") / 5.0, report.Accuracy, 12);
        Assert.InRange(report.Accuracy, report.Interval.Low, report.Interval.High);
        Assert.Equal(0, report.FirstPassSeconds);
        Assert.True(report.SecondPassSeconds > 0);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (i, 5)), progress);
        Assert.Equal(verifier.Seen, report.Records.Select(r => r.Completion));
        Assert.All(report.Records, r => Assert.InRange(r.NewTokens, 1, 6));

        string jsonl = Path.Combine(Path.GetTempPath(), $"expertmix-eval-{Guid.NewGuid():N}.jsonl");
        report.WriteRecords(jsonl);
        var lines = File.ReadAllLines(jsonl);
        Assert.Equal(5, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(report.Records[0].Id, first.GetProperty("id").GetString());
        Assert.Equal(report.Records[0].Correct, first.GetProperty("correct").GetBoolean());
        foreach (var key in new[] { "prompt", "completion", "extracted", "gold", "first_pass_s", "second_pass_s", "verify_s", "finish" })
            Assert.True(first.TryGetProperty(key, out _), key);
    }

    [SkippableFact]
    public void First_pass_is_timed_per_prompt_and_each_decision_is_applied_around_its_group()
    {
        var harness = Harness();
        using var model = harness.Generator.Model;
        string file = EvalTaskTests.WriteMc(9);
        var task = EvalTasks.Get("mc-jsonl") with { MaxNewTokens = 3 };
        var log = new List<string>();
        var seen = new List<string>();
        var firstPass = new DelegateFirstPass(
            prompt =>
            {
                lock (seen) seen.Add(prompt);
                Thread.Sleep(5);
                return new FirstPassDecision(prompt.Contains("time 1", StringComparison.Ordinal) ? "one" : "other");
            },
            d =>
            {
                log.Add("apply " + d.Key);
                return new Scope(() => log.Add("restore " + d.Key));
            });
        var report = harness.Run(task, file, new EvalOptions { Seeds = [0, 1], FirstPass = firstPass, BatchSize = 4 });
        Assert.Equal(2, report.Seeds.Count);
        Assert.All(report.Records, r => Assert.True(r.FirstPassSeconds >= 0.004, r.Id));
        Assert.Equal(report.Records.Sum(r => r.FirstPassSeconds), report.FirstPassSeconds, 9);
        Assert.All(report.Records, r => Assert.Equal(r.Prompt.Contains("time 1", StringComparison.Ordinal) ? "one" : "other", r.FirstPassKey));
        // The first pass reads the raw question (§9.1): no system text, no "Question: " head, no "Answer:" tail.
        Assert.NotEmpty(seen);
        Assert.All(seen, q =>
        {
            Assert.DoesNotContain(EvalTasks.ArcSystem, q, StringComparison.Ordinal);
            Assert.False(q.StartsWith("Question: ", StringComparison.Ordinal), q);
            Assert.False(q.EndsWith("Answer:", StringComparison.Ordinal) || q.EndsWith('\n'), q);
            Assert.Contains(report.Records, r => r.Prompt.Contains(q, StringComparison.Ordinal));
        });
        // Each seed applies each distinct decision once and restores it before the next.
        var keys = report.Records.Where(r => r.Seed == 0).Select(r => r.FirstPassKey!).Distinct().ToList();
        Assert.Equal(2 * keys.Count * 2, log.Count);
        for (int i = 0; i < log.Count; i += 2) Assert.Equal(log[i].Replace("apply", "restore", StringComparison.Ordinal), log[i + 1]);
        // Greedy: no limit, so both seeds see the same items and generate the same text.
        Assert.Equal(report.Records.Where(r => r.Seed == 0).Select(r => r.Completion), report.Records.Where(r => r.Seed == 1).Select(r => r.Completion));
        Assert.Equal(0, report.AccuracySd);
    }

    [SkippableFact]
    public void Long_prompts_are_cut_from_the_left_to_fit_the_model()
    {
        var harness = Harness();
        using var model = harness.Generator.Model;
        string file = Path.Combine(Path.GetTempPath(), $"expertmix-mc-{Guid.NewGuid():N}.jsonl");
        string longQuestion = string.Concat(Enumerable.Repeat("Once upon a time there was a dog. ", 200));
        File.WriteAllText(file, JsonSerializer.Serialize(new { id = "long", question = longQuestion, choices = new[] { "a", "b" }, answer = 0 }) + "\n");
        var task = EvalTasks.Get("mc-jsonl") with { MaxNewTokens = 8 };
        var split = EvalTasks.IsHoldOutDev("long") ? EvalSplit.Dev : EvalSplit.Test;
        var report = harness.Run(task, file, new EvalOptions { Split = split });
        var r = Assert.Single(report.Records);
        Assert.True(r.PromptTokens + r.NewTokens <= model.Info.MaxPositions);
        Assert.Equal(model.Info.MaxPositions - 8, r.PromptTokens);
    }

    private sealed class Scope(Action onDispose) : IDisposable
    {
        public void Dispose() => onDispose();
    }
}

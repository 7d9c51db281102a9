// `t2 generate|adapt|eval` and `eval --t2` on a tiny random chat Llama: JSON output, timings, dispatch, svf_mixture.json.
using System.Text.Json;
using ExpertMix.Adapters.Svf;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class T2CommandTests(SvfCliFixture fx) : IClassFixture<SvfCliFixture>
{
    private static readonly string[] Labels = ["code", "math", "reasoning", "other"];

    private string ExpertMap => $"math={fx.Expert("math")},code={fx.Expert("code")}";

    private JsonElement Run(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [Theory]
    [InlineData("prompt", "hard")]
    [InlineData("classifier", "hard")]
    [InlineData("label-score", "hard")]
    [InlineData("label-score", "soft")]
    public void Generate_dispatches_and_reports_both_passes(string strategy, string dispatch)
    {
        var r = Run("t2", "generate", "--model", fx.Model, "--experts", ExpertMap, "--strategy", strategy, "--dispatch", dispatch, "--classifier", fx.Expert("cls"),
            "--first-pass-tokens", "6", "--prompt", "What is 2 + 3?", "--max-new-tokens", "4", "--json");
        Assert.Equal(strategy, r.GetProperty("strategy").GetString());
        Assert.Contains(r.GetProperty("dispatch").GetString(), Labels);
        Assert.True(r.GetProperty("first_pass_s").GetDouble() > 0);
        Assert.True(r.GetProperty("second_pass_s").GetDouble() > 0);
        Assert.InRange(r.GetProperty("token_ids").GetArrayLength(), 1, 4);
        if (strategy == "label-score")
        {
            var scores = r.GetProperty("label_scores").EnumerateArray().Select(s => s.GetDouble()).ToList();
            Assert.Equal(Labels[scores.IndexOf(scores.Max())], r.GetProperty("dispatch").GetString());
            if (dispatch == "soft") Assert.Equal(1.0, r.GetProperty("alpha").EnumerateArray().Sum(a => a.GetDouble()), 9);
        }
        else
        {
            Assert.Equal(Adapters.Adaptation.ClassificationCategories.Paper.Parse(r.GetProperty("first_pass_text").GetString()!), r.GetProperty("dispatch").GetString());
        }
    }

    [Fact]
    public void Adapt_writes_a_mixture_that_generate_eval_and_svf_load()
    {
        string outDir = fx.Temp("adapt");
        var r = Run("t2", "adapt", "--model", fx.Model, "--experts", ExpertMap, "--task", "mc-jsonl", "--dev", fx.Data, "--shots", "2",
            "--cem-iterations", "2", "--population", "3", "--max-new-tokens", "3", "--validation", "1", "--cem-test-interval", "1", "--out", outDir, "--json");
        var alpha = r.GetProperty("alpha").EnumerateArray().Select(a => a.GetDouble()).ToArray();
        Assert.Equal(2, alpha.Length);
        Assert.All(alpha, a => Assert.InRange(a, 0.0, 1.0));
        Assert.Equal(["code", "math"], r.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(6, r.GetProperty("evaluations").GetInt32());
        Assert.Equal((6 * 2) + (2 * 1), r.GetProperty("model_calls").GetInt64());   // evaluations × shots + dev checks × validation
        var mixture = SvfMixture.Load(outDir);
        Assert.Equal(alpha, mixture.Alpha);
        Assert.Equal(Path.GetFullPath(fx.Expert("code")), mixture.Experts[0]);

        // Same seed, same α.
        var again = Run("t2", "adapt", "--model", fx.Model, "--experts", ExpertMap, "--task", "mc-jsonl", "--dev", fx.Data, "--shots", "2",
            "--cem-iterations", "2", "--population", "3", "--max-new-tokens", "3", "--validation", "1", "--cem-test-interval", "1", "--out", fx.Temp("adapt2"), "--json");
        Assert.Equal(alpha, again.GetProperty("alpha").EnumerateArray().Select(a => a.GetDouble()));

        var g = Run("t2", "generate", "--model", fx.Model, "--experts", ExpertMap, "--strategy", "few-shot", "--mixture", outDir, "--prompt", "Once upon a time", "--max-new-tokens", "3", "--json");
        Assert.Equal("few-shot", g.GetProperty("dispatch").GetString());
        Assert.Equal(alpha, g.GetProperty("alpha").EnumerateArray().Select(a => a.GetDouble()));

        var e = Run("t2", "eval", "--model", fx.Model, "--experts", ExpertMap, "--strategy", "few-shot", "--mixture", outDir, "--task", "mc-jsonl", "--data", fx.Data,
            "--limit", "2", "--max-new-tokens", "2", "--json");
        Assert.Equal(2, e.GetProperty("n").GetInt32());
        Assert.Equal(alpha, e.GetProperty("t2").GetProperty("alpha").EnumerateArray().Select(a => a.GetDouble()));

        var (code, stdout, stderr) = CliRunner.Run("generate", "--model", fx.Model, "--svf", outDir, "--prompt", "Once", "--max-new-tokens", "2", "--json");
        Assert.True(code == 0, stderr);
        Assert.True(JsonDocument.Parse(stdout).RootElement.GetProperty("token_ids").GetArrayLength() >= 1);
    }

    [Fact]
    public void Eval_reports_the_dispatch_confusion_and_both_pass_times()
    {
        foreach (var args in new[]
        {
            new[] { "t2", "eval", "--strategy", "label-score" },
            new[] { "eval", "--t2", "prompt", "--first-pass-tokens", "4" },
        })
        {
            var r = Run([.. args, "--model", fx.Model, "--experts", ExpertMap, "--task", "mc-jsonl", "--data", fx.Data, "--limit", "3", "--max-new-tokens", "2", "--json"]);
            Assert.Equal(3, r.GetProperty("n").GetInt32());
            Assert.True(r.GetProperty("first_pass_s").GetDouble() > 0);
            Assert.True(r.GetProperty("second_pass_s").GetDouble() > 0);
            var t2 = r.GetProperty("t2");
            var row = t2.GetProperty("confusion").GetProperty("other");                     // mc-jsonl's category
            Assert.Equal(3, Labels.Sum(l => row.GetProperty(l).GetInt32()));
            Assert.Equal(3, Labels.Sum(l => t2.GetProperty("dispatch").GetProperty(l).GetInt32()));
            Assert.Equal(row.GetProperty("other").GetInt32() / 3.0, t2.GetProperty("dispatch_accuracy").GetDouble(), 12);
        }
    }

    [Fact]
    public void An_other_expert_or_a_missing_classifier_is_a_clear_error()
    {
        var (code, _, stderr) = CliRunner.Run("t2", "generate", "--model", fx.Model, "--experts", $"other={fx.Expert("math")}", "--prompt", "x");
        Assert.Equal(2, code);
        Assert.Contains("other", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliRunner.Run("t2", "generate", "--model", fx.Model, "--experts", ExpertMap, "--strategy", "classifier", "--prompt", "x");
        Assert.Equal(2, code);
        Assert.Contains("--classifier", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Human_readable_output_of_every_new_verb_succeeds()
    {
        string mix = fx.Temp("mixh");
        string[][] calls =
        [
            ["t2", "generate", "--model", fx.Model, "--experts", ExpertMap, "--strategy", "label-score", "--prompt", "Hi", "--max-new-tokens", "2"],
            ["t2", "adapt", "--model", fx.Model, "--experts", ExpertMap, "--task", "mc-jsonl", "--dev", fx.Data, "--shots", "1", "--cem-iterations", "1", "--population", "2", "--max-new-tokens", "2", "--out", mix],
            ["t2", "eval", "--model", fx.Model, "--experts", ExpertMap, "--strategy", "label-score", "--task", "mc-jsonl", "--data", fx.Data, "--limit", "2", "--max-new-tokens", "2"],
            ["svf", "inspect", fx.Expert("math")],
            ["svf", "inspect", mix],
            ["svf", "to-lora", "--model", fx.Model, "--svf", mix, "--epsilon", "0.3", "--out", fx.Temp("lorah")],
            ["svf", "decompose", "--model", fx.Model, "--out", fx.Temp("basish") + ".safetensors"],
        ];
        foreach (var call in calls)
        {
            var (code, _, stderr) = CliRunner.Run(call);
            Assert.True(code == 0, string.Join(" ", call.Take(2)) + ": " + stderr);
        }
        var (c, _, err) = CliRunner.Run("eval", "--model", fx.Model, "--experts", ExpertMap, "--task", "mc-jsonl", "--data", fx.Data);
        Assert.Equal(2, c);
        Assert.Contains("--t2", err, StringComparison.Ordinal);
    }
}

// `--label NAME=DESCRIPTION` on the Transformer² verbs: dispatch over user categories, and clear errors for bad maps.
using System.Text.Json;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class T2CategoryOptionTests(SvfCliFixture fx) : IClassFixture<SvfCliFixture>
{
    private static readonly string[] Labels = ["chemistry", "biology", "other"];

    private string[] Categories => ["--experts", $"chemistry={fx.Expert("math")},biology={fx.Expert("code")}",
        "--label", "chemistry=Questions about chemical elements.", "--label", "biology=Questions about amino acids."];

    private JsonElement Run(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [Theory]
    [InlineData("label-score")]
    [InlineData("classifier-score")]
    public void Generate_scores_and_dispatches_the_user_labels(string strategy)
    {
        var r = Run(["t2", "generate", "--model", fx.Model, .. Categories, "--strategy", strategy, "--classifier", fx.Expert("cls"),
            "--prompt", "What is the symbol of Sodium?", "--max-new-tokens", "2", "--json"]);
        var scores = r.GetProperty("label_scores").EnumerateArray().Select(s => s.GetDouble()).ToList();
        Assert.Equal(3, scores.Count);
        Assert.Equal(Labels[scores.IndexOf(scores.Max())], r.GetProperty("dispatch").GetString());
    }

    [Fact]
    public void Classifier_score_without_a_classifier_is_a_clear_error()
    {
        var (code, _, stderr) = CliRunner.Run(["t2", "generate", "--model", fx.Model, .. Categories, "--strategy", "classifier-score", "--prompt", "x"]);
        Assert.Equal(2, code);
        Assert.Contains("--strategy classifier-score needs --classifier DIR", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_reports_the_confusion_over_the_user_labels()
    {
        var r = Run(["eval", "--t2", "prompt", "--first-pass-tokens", "4", "--model", fx.Model, .. Categories, "--category", "chemistry",
            "--task", "mc-jsonl", "--data", fx.Data, "--limit", "3", "--max-new-tokens", "2", "--json"]);
        var t2 = r.GetProperty("t2");
        Assert.Equal(Labels, t2.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var row = t2.GetProperty("confusion").GetProperty("chemistry");
        Assert.Equal(3, Labels.Sum(l => row.GetProperty(l).GetInt32()));
        Assert.Equal(3, Labels.Sum(l => t2.GetProperty("dispatch").GetProperty(l).GetInt32()));
        Assert.Equal(row.GetProperty("chemistry").GetInt32() / 3.0, t2.GetProperty("dispatch_accuracy").GetDouble(), 12);

        // Without --category the data's true category is the fallback.
        var fallback = Run(["t2", "eval", "--strategy", "label-score", "--model", fx.Model, .. Categories, "--task", "mc-jsonl", "--data", fx.Data, "--limit", "2", "--max-new-tokens", "2", "--json"]);
        Assert.True(fallback.GetProperty("t2").GetProperty("confusion").TryGetProperty("other", out _));
    }

    [Theory]
    [InlineData("duplicate", "is given twice")]
    [InlineData("no expert", "--label arithmetic: no expert in --experts")]
    [InlineData("unknown expert", "unknown category 'math' (the categories are chemistry, biology)")]
    [InlineData("paper", "name your own categories with --label")]
    [InlineData("no equals", "is not LABEL=DESCRIPTION")]
    [InlineData("fallback alone", "--fallback-label needs --label")]
    [InlineData("fallback expert", "'other' is the fallback category")]
    [InlineData("bad category", "--category must be one of chemistry, biology, other")]
    public void Bad_categories_are_one_line_errors(string fault, string expected)
    {
        string chem = fx.Expert("math"), bio = fx.Expert("code");
        string[] extra = fault switch
        {
            "duplicate" => ["--experts", $"chemistry={chem}", "--label", "chemistry=A.", "--label", "Chemistry=B."],
            "no expert" => [.. Categories, "--label", "arithmetic=Sums."],
            "unknown expert" => ["--experts", $"chemistry={chem},math={bio}", "--label", "chemistry=A.", "--label", "biology=B."],
            "paper" => ["--experts", $"chemistry={chem}"],
            "no equals" => ["--experts", $"chemistry={chem}", "--label", "chemistry"],
            "fallback alone" => ["--experts", $"math={chem}", "--fallback-label", "misc"],
            "fallback expert" => ["--experts", $"chemistry={chem},other={bio}", "--label", "chemistry=A."],
            _ => [.. Categories, "--category", "math"],
        };
        var (code, _, stderr) = CliRunner.Run(["t2", "generate", "--model", fx.Model, "--strategy", "label-score", "--prompt", "x", .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}

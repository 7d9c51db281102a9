// `expertmix eval` through the CLI: JSON summary shape, n, and the per-example JSONL on stories260K.
using System.Text.Json;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class EvalCommandTests
{
    [SkippableFact]
    public void Gsm8k_with_a_limit_prints_the_summary_and_writes_one_record_per_example()
    {
        string model = SharedData.Require("models/stories260K");
        string data = SharedData.Require("data/gsm8k");
        string records = Path.Combine(Path.GetTempPath(), $"expertmix-eval-{Guid.NewGuid():N}.jsonl");
        var (code, stdout, stderr) = CliRunner.Run(["eval", "--task", "gsm8k", "--data", data, "--model", model, "--limit", "3",
            "--max-new-tokens", "16", "--out", records, "--json"]);
        Assert.True(code == 0, stderr);
        var summary = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("gsm8k", summary.GetProperty("task").GetString());
        Assert.Equal("test", summary.GetProperty("split").GetString());
        Assert.Equal(3, summary.GetProperty("n").GetInt32());
        double accuracy = summary.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, summary.GetProperty("ci_low").GetDouble(), summary.GetProperty("ci_high").GetDouble());
        Assert.Equal(0, summary.GetProperty("first_pass_s").GetDouble());
        Assert.True(summary.GetProperty("second_pass_s").GetDouble() > 0);
        var seed = Assert.Single(summary.GetProperty("seeds").EnumerateArray());
        Assert.Equal(0, seed.GetProperty("seed").GetInt32());

        var lines = File.ReadAllLines(records);
        Assert.Equal(3, lines.Length);
        var rows = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(rows.Count(r => r.GetProperty("correct").GetBoolean()) / 3.0, accuracy, 12);
        Assert.All(rows, r => Assert.StartsWith("test/", r.GetProperty("id").GetString(), StringComparison.Ordinal));
        Assert.All(rows, r => Assert.True(int.TryParse(r.GetProperty("gold").GetString(), out _)));
        Assert.All(rows, r => Assert.InRange(r.GetProperty("new_tokens").GetInt32(), 1, 16));
    }

    [SkippableFact]
    public void Missing_data_is_a_clear_error()
    {
        string model = SharedData.Require("models/stories260K");
        var (code, _, stderr) = CliRunner.Run(["eval", "--task", "arc", "--data", "/nonexistent/arc", "--model", model]);
        Assert.NotEqual(0, code);
        Assert.Contains("/nonexistent/arc", stderr, StringComparison.Ordinal);
    }
}

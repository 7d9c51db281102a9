// `expertmix eval-compare`: JSON output on two synthetic record files, the text report, and the error cases.
using System.Text.Json;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class EvalCompareCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("expertmix-compare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, IEnumerable<string> lines)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Row(int i, bool correct) => $"{{\"seed\":0,\"id\":\"test/{i}\",\"prompt\":\"q{i}\",\"completion\":\"a\",\"correct\":{(correct ? "true" : "false")}}}";

    /// <summary>40 items: A right on 0..19, B right on 10..29 plus 30..34 → only A 10, only B 15, both 10, neither 5.</summary>
    private (string A, string B) Runs()
    {
        var a = Write("a.jsonl", Enumerable.Range(0, 40).Select(i => Row(i, i < 20)));
        var b = Write("b.jsonl", Enumerable.Range(0, 40).Reverse().Select(i => Row(i, i is >= 10 and < 35)));
        return (a, b);
    }

    [Fact]
    public void Json_reports_counts_difference_interval_and_p()
    {
        var (a, b) = Runs();
        var (code, stdout, stderr) = CliRunner.Run(["eval-compare", "--a", a, "--b", b, "--resamples", "2000", "--seed", "3", "--json"]);
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(a, root.GetProperty("a").GetString());
        Assert.Equal("id", root.GetProperty("matched_by").GetString());
        Assert.Equal(40, root.GetProperty("n").GetInt32());
        Assert.Equal(10, root.GetProperty("only_a").GetInt32());
        Assert.Equal(15, root.GetProperty("only_b").GetInt32());
        Assert.Equal(10, root.GetProperty("both_correct").GetInt32());
        Assert.Equal(5, root.GetProperty("both_wrong").GetInt32());
        Assert.Equal(0.5, root.GetProperty("accuracy_a").GetDouble(), 15);
        Assert.Equal(0.625, root.GetProperty("accuracy_b").GetDouble(), 15);
        double diff = root.GetProperty("difference").GetDouble();
        Assert.Equal(0.125, diff, 15);
        Assert.InRange(diff, root.GetProperty("ci_low").GetDouble(), root.GetProperty("ci_high").GetDouble());
        Assert.Equal(2000, root.GetProperty("resamples").GetInt32());
        // McNemar: 2·Σ_{j≤10} C(25, j)/2²⁵ = 2·7,119,516/33,554,432 (Python math.comb).
        Assert.Equal(2.0 * 7_119_516 / 33_554_432, root.GetProperty("mcnemar_p").GetDouble(), 12);
        Assert.InRange(root.GetProperty("wilson_a_low").GetDouble(), 0.3, 0.5);

        var again = CliRunner.Run(["eval-compare", "--a", a, "--b", b, "--resamples", "2000", "--seed", "3", "--json"]);
        Assert.Equal(stdout, again.Out);
    }

    [Fact]
    public void Same_file_twice_gives_zero_difference_and_p_one()
    {
        var (a, _) = Runs();
        var (code, stdout, stderr) = CliRunner.Run(["eval-compare", "--a", a, "--b", a, "--json"]);
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(0, root.GetProperty("difference").GetDouble());
        Assert.Equal(0, root.GetProperty("ci_low").GetDouble());
        Assert.Equal(0, root.GetProperty("ci_high").GetDouble());
        Assert.Equal(1, root.GetProperty("mcnemar_p").GetDouble());
        Assert.Equal(10_000, root.GetProperty("resamples").GetInt32());
    }

    [Fact]
    public void Text_report_names_the_difference_and_the_test()
    {
        var (a, b) = Runs();
        var (code, stdout, stderr) = CliRunner.Run(["eval-compare", "--a", a, "--b", b, "--resamples", "500"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("B − A = 12.50 points", stdout, StringComparison.Ordinal);
        Assert.Contains("McNemar exact p", stdout, StringComparison.Ordinal);
        Assert.Contains("only A right: 10, only B right: 15", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatched_items_name_the_file_and_the_id()
    {
        var (a, _) = Runs();
        var b = Write("short.jsonl", Enumerable.Range(0, 39).Select(i => Row(i, true)));
        var (code, _, stderr) = CliRunner.Run(["eval-compare", "--a", a, "--b", b]);
        Assert.Equal(2, code);
        Assert.Contains("'test/39'", stderr, StringComparison.Ordinal);
        Assert.Contains(a + ":40", stderr, StringComparison.Ordinal);
        Assert.Contains(b, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_lines_missing_files_and_bad_resamples_are_user_errors()
    {
        var (a, _) = Runs();
        var bad = Write("bad.jsonl", [Row(0, true), "{\"id\": \"test/1\"}"]);
        var (code, _, stderr) = CliRunner.Run(["eval-compare", "--a", a, "--b", bad]);
        Assert.Equal(2, code);
        Assert.Contains(bad + ":2", stderr, StringComparison.Ordinal);
        Assert.Contains("'correct'", stderr, StringComparison.Ordinal);

        string missing = Path.Combine(_dir, "missing.jsonl");
        (code, _, stderr) = CliRunner.Run(["eval-compare", "--a", missing, "--b", a]);
        Assert.Equal(2, code);
        Assert.Contains(missing, stderr, StringComparison.Ordinal);

        (code, _, stderr) = CliRunner.Run(["eval-compare", "--a", a, "--b", a, "--resamples", "0"]);
        Assert.Equal(2, code);
        Assert.Contains("--resamples", stderr, StringComparison.Ordinal);
    }
}

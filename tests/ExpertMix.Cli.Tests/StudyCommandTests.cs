// `study summation` through the CLI: JSON on stdout with one row per pair and seed; bad --domain values are clear errors.
using System.Text.Json;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class StudyCommandTests
{
    [SkippableFact]
    public void Summation_prints_the_json_report_and_writes_its_files()
    {
        string model = SharedData.Require("models/stories260K");
        string dir = Path.Combine(Path.GetTempPath(), $"expertmix-study-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string Domain(string name, Func<int, (string, string)> row)
        {
            string path = Path.Combine(dir, name + ".jsonl");
            File.WriteAllLines(path, Enumerable.Range(0, 30).Select(i => JsonSerializer.Serialize(new { prompt = row(i).Item1, completion = row(i).Item2 })));
            return $"{name}={path}";
        }
        var (code, stdout, stderr) = CliRunner.Run(["study", "summation", "-m", model, "--domain", Domain("a", i => ($"One {i}", " two.")),
            "--domain", Domain("b", i => ($"Lily {i}", " was happy.")), "--out", Path.Combine(dir, "out"), "--steps", "3", "--batch", "2", "--max-length", "24",
            "--rank", "2", "--alpha", "4", "--seeds", "5", "--objective", "standard", "--max-test-rows", "3", "--json"]);
        Assert.True(code == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        var rows = report.GetProperty("objectives")[0].GetProperty("rows");
        Assert.Equal(1, rows.GetArrayLength());
        Assert.Equal(5UL, rows[0].GetProperty("seed").GetUInt64());
        Assert.Equal(["a", "b"], rows[0].GetProperty("domains").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("standard seed 5: training a+b", stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "out", "report.md")));
        Assert.True(File.Exists(Path.Combine(dir, "out", "adapters", "standard", "seed-5", "a+b", "adapter_model.safetensors")));
    }

    [Theory]
    [InlineData("nofile", "NAME=FILE")]
    [InlineData("=x.jsonl", "NAME=FILE")]
    public void A_malformed_domain_is_a_clear_error(string domain, string expected)
    {
        var (code, _, stderr) = CliRunner.Run(["study", "summation", "-m", ".", "--domain", domain, "--domain", "b=y.jsonl"]);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}

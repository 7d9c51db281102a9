// The demo runs CLI verbs in-process: JSON summaries come back parsed, progress lines are reported, failures name the command.
using ExpertMix.Cli.Demo;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Demo;

public sealed class DemoVerbsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "xm-demo-verbs-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _model = TinyChatLlama.Write();

    public DemoVerbsTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        if (Directory.Exists(_model)) Directory.Delete(_model, recursive: true);
    }

    [Fact]
    public void ATrainingVerbReturnsItsJsonSummaryAndReportsProgressLines()
    {
        string data = Path.Combine(_dir, "rows.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 24).Select(i => $"{{\"prompt\": \"Q: {i} plus 1?\\nA:\", \"completion\": \" {i + 1}\\n\"}}"));
        var steps = new List<(int Step, int Total, double? Loss)>();
        var summary = DemoVerbs.Run(["lora", "train", "--model", _model, "--data", data, "--out", Path.Combine(_dir, "run"), "--max-steps", "20", "--batch-size", "4", "--json"],
            (s, t, l) => steps.Add((s, t, l)));
        Assert.Equal("completed", summary["status"]!.GetValue<string>());
        Assert.Equal(20, summary["steps"]!.GetValue<int>());
        Assert.NotEmpty(steps);
        Assert.All(steps, s => Assert.Equal(20, s.Total));
        Assert.Equal(steps.Select(s => s.Step).Order(), steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.True(s.Loss is > 0));
        Assert.True(File.Exists(Path.Combine(_dir, "run", "adapter", "adapter_model.safetensors")));
        // The console is the caller's again.
        Assert.NotSame(typeof(StringWriter), Console.Out.GetType());
    }

    [Fact]
    public void AFailingVerbThrowsWithTheCommandLineAndItsError()
    {
        var e = Assert.Throws<InvalidOperationException>(() => DemoVerbs.Run(["score", "--model", Path.Combine(_dir, "missing model"), "--data", "x.jsonl", "--json"]));
        Assert.Contains("expertmix score --model \"" + Path.Combine(_dir, "missing model") + "\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("data file not found: x.jsonl", e.Message.Split('\n', 2)[1], StringComparison.Ordinal);
    }

    [Fact]
    public void CommandLinesQuoteArgumentsWithSpacesOrQuotes() =>
        Assert.Equal("eval --prompt \"Q: a b\" --x \"say \\\"hi\\\"\" --y plain", DemoVerbs.CommandLine(["eval", "--prompt", "Q: a b", "--x", "say \"hi\"", "--y", "plain"]));
}

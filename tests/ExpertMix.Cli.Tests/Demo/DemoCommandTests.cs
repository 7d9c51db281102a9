// `expertmix demo` option errors: each is one clear line, exit code 2, and the report folder is not touched.
namespace ExpertMix.Cli.Tests.Demo;

public sealed class DemoCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "xm-demo-cmd-" + Guid.NewGuid().ToString("N")[..10]);

    public DemoCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(_out, "work"));
        File.WriteAllText(Path.Combine(_out, "work", "keep.txt"), "mine");
    }

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Theory]
    [InlineData("--domain a=b.jsonl", "--domain needs --model DIR")]
    [InlineData("--model MODEL", "--model needs at least one --domain NAME=FILE")]
    [InlineData("--model MODEL --domain a=/nonexistent/rows.jsonl", "--domain a: file not found: /nonexistent/rows.jsonl")]
    [InlineData("--model MODEL --domain bad", "--domain expects NAME=FILE, got 'bad'")]
    [InlineData("--model /nonexistent/model --domain a=/nonexistent/rows.jsonl", "--model: directory not found: /nonexistent/model")]
    public void BadOptionsFailWithOneLineAndLeaveTheReportFolderAlone(string options, string message)
    {
        var args = new List<string> { "demo", "--out", _out };
        args.AddRange(options.Replace("MODEL", Path.GetTempPath(), StringComparison.Ordinal).Split(' '));
        var (code, _, err) = CliRunner.Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(_out, "work", "keep.txt")));
    }
}

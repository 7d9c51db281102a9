// A user's domain files become the demo's split files; bad rows are one clear error naming file and line.
using ExpertMix.Cli.Demo;

namespace ExpertMix.Cli.Tests.Demo;

public sealed class DemoUserDataTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "xm-demo-user-" + Guid.NewGuid().ToString("N")[..10]);

    public DemoUserDataTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RowsAreSplitByIdHashWithTheTrimmedCompletionAsGold()
    {
        string file = Path.Combine(_dir, "law.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, 200).Select(i => $"{{\"prompt\": \"Q{i}\", \"completion\": \" A{i}\\n\"}}"));
        DemoUserData.Write([("law", file)], Path.Combine(_dir, "data"));
        var counts = Enum.GetValues<DemoSplit>().ToDictionary(s => s, s => File.ReadAllLines(Path.Combine(_dir, "data", DemoWorldWriter.FileName("law", s))));
        Assert.Equal(200, counts.Values.Sum(v => v.Length));
        Assert.InRange(counts[DemoSplit.Train].Length, 110, 170);
        Assert.All(counts[DemoSplit.Test], l => Assert.Contains("\"split\":\"test\"", l, StringComparison.Ordinal));
        Assert.Contains("\"answer\":\"A", counts[DemoSplit.Dev][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"prompt\": \"a\", \"completion\": \"b\"}\n{bad", "law.jsonl:2: not valid JSON")]
    [InlineData("{\"prompt\": \"a\"}", "law.jsonl:1: expected a \"completion\" string")]
    [InlineData("[1]", "law.jsonl:1: expected a JSON object")]
    public void BadRowsAreUserErrorsNamingFileAndLine(string content, string message)
    {
        string file = Path.Combine(_dir, "law.jsonl");
        File.WriteAllText(file, content);
        var e = Assert.Throws<UserErrorException>(() => DemoUserData.Write([("law", file)], Path.Combine(_dir, "data")));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}

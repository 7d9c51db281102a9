// The generic qa-jsonl task: explicit and hash-based splits, malformed rows, and the answer-prefix verifier.
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class QaJsonlTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qa-jsonl").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(" 12.", "12", true)]
    [InlineData("12 apples", "12", true)]
    [InlineData("  Tom   gave one", "Tom gave", true)]
    [InlineData("123", "12", false)]
    [InlineData("Tommy gave", "Tom", false)]
    [InlineData("1", "12", false)]
    [InlineData("", "12", false)]
    [InlineData("x 12", "12", false)]
    [InlineData("9.", "9.", true)]
    [InlineData("9.5", "9.", true)]
    public void Answer_prefix_needs_the_gold_at_the_start_and_a_word_boundary(string completion, string gold, bool correct) =>
        Assert.Equal(correct, new AnswerPrefixVerifier().Verify(completion, gold).Correct);

    [Fact]
    public void Answer_prefix_refuses_an_empty_gold() =>
        Assert.Throws<ArgumentException>(() => new AnswerPrefixVerifier().Verify("x", "  "));

    [Fact]
    public void Rows_with_a_split_go_there_and_the_rest_are_split_by_the_id_hash()
    {
        string file = Path.Combine(_dir, "qa.jsonl");
        var lines = new List<string>
        {
            """{"id": "d1", "prompt": "p-d1", "answer": "a", "split": "dev"}""",
            """{"id": "t1", "prompt": "p-t1", "answer": "b", "split": "test"}""",
        };
        for (int i = 0; i < 60; i++) lines.Add($$"""{"id": "u{{i}}", "prompt": "p{{i}}", "answer": "{{i}}"}""");
        File.WriteAllLines(file, lines);
        var task = EvalTasks.Get("qa-jsonl");
        var dev = task.Load(file, EvalSplit.Dev);
        var test = task.Load(file, EvalSplit.Test);
        Assert.Contains(dev, e => e.Id == "d1");
        Assert.DoesNotContain(test, e => e.Id == "d1");
        Assert.Contains(test, e => e.Id == "t1" && e.Prompt == "p-t1" && e.Gold == "b");
        Assert.Equal(62, dev.Count + test.Count);
        Assert.Empty(dev.Select(e => e.Id).Intersect(test.Select(e => e.Id)));
        Assert.All(dev.Where(e => e.Id.StartsWith('u')), e => Assert.True(EvalTasks.IsHoldOutDev(e.Id)));
        Assert.All(test.Where(e => e.Id.StartsWith('u')), e => Assert.False(EvalTasks.IsHoldOutDev(e.Id)));
    }

    [Theory]
    [InlineData("""{"prompt": "p"}""", "\"answer\"")]
    [InlineData("""{"prompt": "p", "answer": "a", "split": "train"}""", "\"split\"")]
    [InlineData("""not json""", "not valid JSON")]
    public void Malformed_rows_name_the_file_line_and_field(string row, string expected)
    {
        string file = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllLines(file, ["""{"prompt": "ok", "answer": "a"}""", row]);
        var e = Assert.Throws<InvalidDataException>(() => EvalTasks.Get("qa-jsonl").Load(file, EvalSplit.Test));
        Assert.Contains("bad.jsonl:2", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}

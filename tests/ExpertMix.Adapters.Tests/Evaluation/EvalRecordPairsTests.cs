// Pairing two eval records files: by id, by (seed, id) for multi-seed runs, and the error messages.
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class EvalRecordPairsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("expertmix-pairs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Row(string id, bool correct, int seed = 0) =>
        $"{{\"seed\":{seed},\"id\":\"{id}\",\"prompt\":\"p\",\"completion\":\"c\",\"correct\":{(correct ? "true" : "false")}}}";

    [Fact]
    public void Items_are_matched_by_id_in_the_order_of_the_first_file()
    {
        var a = Write("a.jsonl", Row("x", true), Row("y", false), "", Row("z", true));
        var b = Write("b.jsonl", Row("z", false), Row("x", true), Row("y", true));
        var pairs = EvalRecordPairs.Read(a, b);
        Assert.Equal([true, false, true], pairs.A);
        Assert.Equal([true, true, false], pairs.B);
        Assert.False(pairs.BySeed);
    }

    [Fact]
    public void Repeated_ids_are_keyed_by_seed()
    {
        var a = Write("a.jsonl", Row("x", true, 0), Row("x", false, 1));
        var b = Write("b.jsonl", Row("x", false, 1), Row("x", false, 0));
        var pairs = EvalRecordPairs.Read(a, b);
        Assert.True(pairs.BySeed);
        Assert.Equal([true, false], pairs.A);
        Assert.Equal([false, false], pairs.B);
    }

    [Fact]
    public void Different_item_sets_name_the_file_and_the_id()
    {
        var a = Write("a.jsonl", Row("x", true), Row("y", false));
        var b = Write("b.jsonl", Row("x", true), Row("w", false));
        var e = Assert.Throws<InvalidDataException>(() => EvalRecordPairs.Read(a, b));
        Assert.Contains("'y'", e.Message, StringComparison.Ordinal);
        Assert.Contains(a + ":2", e.Message, StringComparison.Ordinal);
        Assert.Contains(b, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"correct\": true}", "missing string field 'id'")]
    [InlineData("{\"id\": \"q\", \"correct\": \"yes\"}", "'q' lacks a boolean field 'correct'")]
    [InlineData("{\"id\": \"q\", \"correct\": true, \"seed\": \"one\"}", "non-integer 'seed'")]
    public void Malformed_lines_name_the_file_and_line(string line, string expected)
    {
        var a = Write("a.jsonl", Row("x", true), line);
        var b = Write("b.jsonl", Row("x", true));
        var e = Assert.Throws<InvalidDataException>(() => EvalRecordPairs.Read(a, b));
        Assert.Contains(a + ":2", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicates_empty_and_missing_files_are_errors()
    {
        var dup = Write("dup.jsonl", Row("x", true, 0), Row("x", true, 0));
        var ok = Write("ok.jsonl", Row("x", true, 0));
        var e = Assert.Throws<InvalidDataException>(() => EvalRecordPairs.Read(ok, dup));
        Assert.Contains(dup + ":2", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 1", e.Message, StringComparison.Ordinal);
        var empty = Write("empty.jsonl", "");
        Assert.Contains("no records", Assert.Throws<InvalidDataException>(() => EvalRecordPairs.Read(empty, ok)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => EvalRecordPairs.Read(Path.Combine(_dir, "none.jsonl"), ok));
    }
}

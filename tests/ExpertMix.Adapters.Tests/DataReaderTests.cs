// JSONL reader: the three row kinds, mixed kinds, empty lines, and errors naming file:line.
using ExpertMix.Adapters.Training.Data;

namespace ExpertMix.Adapters.Tests;

public sealed class DataReaderTests : IDisposable
{
    private readonly DataFixtures.TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Reads_each_kind_mixed_in_one_file_and_skips_empty_lines()
    {
        string path = _tmp.File("d.jsonl", """
            {"text": "hello"}

            {"prompt": "p", "completion": "c", "id": 7}
              
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "reasoning_content": "r"}]}
            """);
        var rows = JsonlDataReader.Read(path);
        Assert.Equal([DataRowKind.Text, DataRowKind.PromptCompletion, DataRowKind.Messages], rows.Select(r => r.Kind));
        Assert.Equal("hello", rows[0].Text);
        Assert.Equal(("p", "c"), (rows[1].Prompt, rows[1].Completion));
        Assert.Equal($"{path}:3", rows[1].Source);
        Assert.Equal($"{path}:5", rows[2].Source);
        var m = rows[2].Messages!;
        Assert.Equal(("assistant", "yo"), (m[1].Role, m[1].Content));
        Assert.True(m[1].Extra!.ContainsKey("reasoning_content"));
    }

    [Theory]
    [InlineData("{\"text\": \"a\"}\n{\"text\": ", 2, "malformed JSON")]
    [InlineData("{\"txt\": \"a\"}", 1, "unknown row shape")]
    [InlineData("[1, 2]", 1, "got a JSON Array")]
    [InlineData("{\"prompt\": \"a\"}", 1, "needs both \"prompt\" and \"completion\"")]
    [InlineData("{\"text\": \"a\", \"prompt\": \"b\", \"completion\": \"c\"}", 1, "ambiguous")]
    [InlineData("\n\n{\"text\": 5}", 3, "\"text\" must be a string")]
    [InlineData("{\"messages\": []}", 1, "\"messages\" is empty")]
    [InlineData("{\"messages\": [{\"role\": \"user\"}]}", 1, "messages[0] needs a string \"content\"")]
    public void Bad_lines_raise_InvalidDataException_naming_file_and_line(string content, int line, string expected)
    {
        string path = _tmp.File("bad.jsonl", content);
        var e = Assert.Throws<InvalidDataException>(() => JsonlDataReader.Read(path));
        Assert.Contains($"{path}:{line}:", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        var e = Assert.Throws<FileNotFoundException>(() => JsonlDataReader.Read(Path.Combine(_tmp.Path, "nope.jsonl")));
        Assert.Contains("nope.jsonl", e.Message, StringComparison.Ordinal);
    }
}

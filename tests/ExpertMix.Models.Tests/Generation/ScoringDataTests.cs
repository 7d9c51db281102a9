// ScoringData JSONL readers: accepted row shapes and file:line errors for malformed rows.
using ExpertMix.Models.Generation;

namespace ExpertMix.Models.Tests.Generation;

public class ScoringDataTests
{
    private static IReadOnlyList<ScoringRow> Text(string jsonl) => ScoringData.ReadTextRows(new StringReader(jsonl), "data.jsonl");

    private static IReadOnlyList<ChoiceRow> Choices(string jsonl) => ScoringData.ReadChoiceRows(new StringReader(jsonl), "mc.jsonl");

    [Fact]
    public void Text_and_prompt_completion_rows_are_read_with_line_numbers()
    {
        var rows = Text("{\"text\": \"Hello world\"}\n\n{\"prompt\": \"Q: 2+2?\", \"completion\": \" 4\", \"id\": 7}\n");
        Assert.Equal([new ScoringRow(1, null, "Hello world"), new ScoringRow(3, "Q: 2+2?", " 4")], rows);
    }

    [Theory]
    [InlineData("{\"text\": \"a\"}\n{\"text\": 5}", "data.jsonl:2: \"text\" must be a string")]
    [InlineData("{\"text\": \"a\", \"prompt\": \"b\"}", "data.jsonl:1: a row has either")]
    [InlineData("{\"prompt\": \"b\"}", "data.jsonl:1: expected {\"text\": …} or {\"prompt\": …, \"completion\": …}, got only \"prompt\"")]
    [InlineData("{\"text\": \"\"}", "data.jsonl:1: \"text\" is empty")]
    [InlineData("{\"text\": \"a\"}\n{\"text\": \"b\"\n", "data.jsonl:2: invalid JSON")]
    [InlineData("[1, 2]", "data.jsonl:1: each line must be a JSON object")]
    [InlineData("\n\n", "data.jsonl: no rows")]
    public void Malformed_text_rows_fail_naming_the_file_and_line(string jsonl, string message)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Text(jsonl));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multiple_choice_rows_accept_context_or_question_and_answer_or_label()
    {
        var rows = Choices(
            "{\"context\": \"The sky is\", \"choices\": [\" blue\", \" green\"], \"answer\": 0}\n" +
            "{\"question\": \"2+2=\", \"choices\": [\"3\", \"4\", \"5\"], \"label\": \"1\"}");
        Assert.Equal(2, rows.Count);
        Assert.Equal(("The sky is", 0, 1), (rows[0].Context, rows[0].Answer, rows[0].Line));
        Assert.Equal(new[] { "3", "4", "5" }, rows[1].Choices);
        Assert.Equal(1, rows[1].Answer);
    }

    [Theory]
    [InlineData("{\"choices\": [\"a\", \"b\"], \"answer\": 0}", "mc.jsonl:1: missing \"context\" (or \"question\")")]
    [InlineData("{\"context\": \"c\", \"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 0}", "mc.jsonl:1: give either")]
    [InlineData("{\"context\": \"c\", \"choices\": \"ab\", \"answer\": 0}", "mc.jsonl:1: \"choices\" must be an array")]
    [InlineData("{\"context\": \"c\", \"choices\": [\"a\"], \"answer\": 0}", "mc.jsonl:1: \"choices\" has 1 entries")]
    [InlineData("{\"context\": \"c\", \"choices\": [\"a\", 3], \"answer\": 0}", "mc.jsonl:1: \"choices[1]\" must be a string")]
    [InlineData("{\"context\": \"c\", \"choices\": [\"a\", \"b\"], \"answer\": 2}", "mc.jsonl:1: answer 2 is not a valid index")]
    [InlineData("{\"context\": \"c\", \"choices\": [\"a\", \"b\"], \"label\": \"B\"}", "mc.jsonl:1: \"answer\"/\"label\" must be an integer")]
    [InlineData("{\"context\": \"c\", \"choices\": [\"a\", \"b\"]}", "mc.jsonl:1: missing \"answer\" (or \"label\")")]
    public void Malformed_choice_rows_fail_naming_the_file_and_line(string jsonl, string message)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Choices(jsonl));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_are_read_by_path_and_errors_name_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"expertmix-scoring-{Guid.NewGuid():N}.jsonl");
        try
        {
            File.WriteAllText(path, "{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n");
            var ex = Assert.Throws<InvalidDataException>(() => ScoringData.ReadTextRows(path));
            Assert.StartsWith(path + ":2:", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<FileNotFoundException>(() => ScoringData.ReadChoiceRows(path));
    }
}

// Dataset converters on shared/data: row counts, a few fields, and that the output reads back as prompt/completion rows.
using System.Text.Json;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests;

public sealed class DataConverterTests : IDisposable
{
    private readonly DataFixtures.TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Out(string name) => Path.Combine(_tmp.Path, name + ".jsonl");

    /// <summary>Converts, checks the reported count equals the rows read back, and returns them.</summary>
    private IReadOnlyList<DataRow> RoundTrip(Func<string, int> convert, string name)
    {
        string output = Out(name);
        int n = convert(output);
        var rows = JsonlDataReader.Read(output);
        Assert.Equal(n, rows.Count);
        Assert.All(rows, r => Assert.Equal(DataRowKind.PromptCompletion, r.Kind));
        Assert.All(rows, r => Assert.EndsWith("\n", r.Prompt, StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_tmp.Path, "*.tmp-*"));
        return rows;
    }

    private static List<JsonElement> JsonLines(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [SkippableFact]
    public void Gsm8k_keeps_question_and_full_solution()
    {
        string src = SharedData.Require("data/gsm8k/train.jsonl");
        var raw = JsonLines(src);
        var rows = RoundTrip(o => DatasetConverters.Gsm8k(src, o), "gsm8k");
        Assert.Equal(raw.Count, rows.Count);
        Assert.Equal(7473, rows.Count); // SOURCE.md row count
        Assert.Contains(raw[0].GetProperty("question").GetString()!, rows[0].Prompt, StringComparison.Ordinal);
        Assert.Equal(raw[^1].GetProperty("answer").GetString(), rows[^1].Completion);
        Assert.All(rows, r => Assert.Contains("#### ", r.Completion, StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData(nameof(PubMedQaSplit.Train), 500)]
    [InlineData(nameof(PubMedQaSplit.Test), 500)]
    [InlineData(nameof(PubMedQaSplit.All), 1000)]
    public void PubMedQa_splits_by_the_test_ids_and_ends_with_the_decision(string splitName, int expected)
    {
        var split = Enum.Parse<PubMedQaSplit>(splitName);   // by name: the enum is internal to ExpertMix.Adapters
        string src = SharedData.Require("data/pubmedqa/ori_pqal.json");
        var rows = RoundTrip(o => DatasetConverters.PubMedQa(src, o, split), "pubmedqa-" + split);
        Assert.Equal(expected, rows.Count);
        Assert.All(rows, r => Assert.Matches("\nDecision: (yes|no|maybe)$", r.Completion));
        Assert.All(rows, r => Assert.StartsWith("Context:\n", r.Prompt, StringComparison.Ordinal));
        if (split == PubMedQaSplit.Test)
        {
            using var gt = JsonDocument.Parse(File.ReadAllBytes(SharedData.Require("data/pubmedqa/test_ground_truth.json")));
            using var all = JsonDocument.Parse(File.ReadAllBytes(src));
            var decisions = gt.RootElement.EnumerateObject()
                .Select(p => (Question: all.RootElement.GetProperty(p.Name).GetProperty("QUESTION").GetString()!, Decision: p.Value.GetString()!))
                .ToList();
            var first = decisions.First(d => rows[0].Prompt!.Contains(d.Question, StringComparison.Ordinal));
            Assert.EndsWith("Decision: " + first.Decision, rows[0].Completion, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void TatQa_gives_one_row_per_question_with_table_paragraphs_and_scaled_answer()
    {
        string src = SharedData.Require("data/tatqa/tatqa_dataset_dev.json");
        var rows = RoundTrip(o => DatasetConverters.TatQa(src, o), "tatqa");
        Assert.Equal(1668, rows.Count); // SOURCE.md: 1668 questions in dev
        using var doc = JsonDocument.Parse(File.ReadAllBytes(src));
        var ctx = doc.RootElement[0];
        var q = ctx.GetProperty("questions")[1];
        Assert.Contains(q.GetProperty("question").GetString()!, rows[1].Prompt, StringComparison.Ordinal);
        Assert.Contains(ctx.GetProperty("paragraphs")[0].GetProperty("text").GetString()!, rows[1].Prompt, StringComparison.Ordinal);
        Assert.Contains(string.Join(" | ", ctx.GetProperty("table").GetProperty("table")[1].EnumerateArray().Select(c => c.GetString())), rows[1].Prompt, StringComparison.Ordinal);
        string scale = q.GetProperty("scale").GetString()!;
        Assert.Equal(q.GetProperty("answer")[0].GetString() + (scale.Length > 0 ? " " + scale : ""), rows[1].Completion);
    }

    [SkippableFact]
    public void Arc_lists_choices_and_answers_with_the_key_and_text()
    {
        string easy = SharedData.Require("data/arc/ARC-Easy-test.jsonl");
        var raw = JsonLines(easy);
        var rows = RoundTrip(o => DatasetConverters.Arc(easy, o), "arc-easy");
        Assert.Equal(2376, rows.Count);
        for (int i = 0; i < 20; i++)
        {
            string key = raw[i].GetProperty("answerKey").GetString()!;
            var choice = raw[i].GetProperty("question").GetProperty("choices").EnumerateArray().Single(c => c.GetProperty("label").GetString() == key);
            Assert.Equal($"{key}. {choice.GetProperty("text").GetString()}", rows[i].Completion);
            Assert.Contains(rows[i].Completion + "\n", rows[i].Prompt, StringComparison.Ordinal);
        }
        var both = RoundTrip(o => DatasetConverters.Convert("ARC", Path.GetDirectoryName(easy)!, o), "arc-all");
        Assert.Equal(2376 + 1170, both.Count); // SOURCE.md: Easy 2376 + Challenge 1170
    }

    [SkippableFact]
    public void Mbpp_puts_tests_in_the_prompt_and_lf_code_in_the_completion()
    {
        string src = SharedData.Require("data/mbpp/mbpp.jsonl");
        var raw = JsonLines(src);
        var rows = RoundTrip(o => DatasetConverters.Mbpp(src, o), "mbpp");
        Assert.Equal(974, rows.Count);
        Assert.All(rows, r => Assert.DoesNotContain("\r", r.Completion, StringComparison.Ordinal));
        Assert.Equal(raw[0].GetProperty("code").GetString()!.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n'), rows[0].Completion);
        foreach (var t in raw[0].GetProperty("test_list").EnumerateArray()) Assert.Contains(t.GetString()!, rows[0].Prompt, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Convert_by_name_uses_the_default_files_and_refuses_unknown_sets()
    {
        string dir = SharedData.Require("data/gsm8k");
        Assert.Equal(7473, DatasetConverters.Convert("gsm8k", dir, Out("by-name")));
        var e = Assert.Throws<ArgumentException>(() => DatasetConverters.Convert("squad", dir, Out("x")));
        Assert.Contains("gsm8k", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_source_lines_name_file_and_line()
    {
        string src = _tmp.File("raw-gsm8k.jsonl", "{\"question\": \"q\", \"answer\": \"a\"}\n{\"question\": \"q\"}\n");
        var e = Assert.Throws<InvalidDataException>(() => DatasetConverters.Gsm8k(src, Out("g")));
        Assert.Contains($"{src}:2", e.Message, StringComparison.Ordinal);
        Assert.Contains("answer", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Out("g")));
    }
}

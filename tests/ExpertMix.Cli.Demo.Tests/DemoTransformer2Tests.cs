// The demo's Transformer² dispatch: domains as categories, the classifier's training chat equals the first pass's chat,
// and the dispatch matrices in results.json, index.html and the console.
using System.Text.Json;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;
using static ExpertMix.Cli.Demo.Tests.DemoFixtures;

namespace ExpertMix.Cli.Demo.Tests;

public sealed class DemoTransformer2Tests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>t2:prompt sent 6 of 10 chemistry questions to chemistry; the cross-domain row has no true label.</summary>
    private static DemoResults WithDispatch() => Results() with
    {
        Dispatch = [new DemoDispatch("t2:prompt", ["chemistry", "biology", "other"], [new("chemistry", [6, 1, 3]), new("cross-domain", [2, 2, 1])])],
    };

    [Fact]
    public void The_world_domains_become_categories_and_one_line_system_text()
    {
        var c = DemoTransformer2.Categories(["chemistry", "biology", "arithmetic"], out string? reason)!;
        Assert.Null(reason);
        Assert.Equal(["chemistry", "biology", "arithmetic", "other"], c.Labels);
        Assert.Equal("Classify the question: chemistry, biology, arithmetic or other.", DemoTransformer2.SystemText(c));
        Assert.Null(DemoTransformer2.Categories(["law firm"], out reason));
        Assert.Contains("invalid label 'law firm'", reason, StringComparison.Ordinal);

        var args = DemoTransformer2.Arguments(c, new Dictionary<string, string> { ["chemistry"] = "c", ["biology"] = "b", ["arithmetic"] = "a" });
        Assert.Equal(["--experts", "chemistry=c,biology=b,arithmetic=a"], args.Take(2));
        Assert.Equal(3, args.Count(a => a == "--label"));
        Assert.Equal(DemoTransformer2.SystemText(c), args[^1]);
    }

    [Fact]
    public void The_classifier_learns_exactly_the_scored_label_after_the_first_pass_chat()
    {
        var world = DemoWorld.Build(DemoWorldOptions.Quick);
        DemoWorldWriter.Write(world, _dir);
        ByteTokenizerJson.WriteWithBosEos(_dir, DemoTransformer2.BaseChatTemplate);
        var tokenizer = Tokenizer.FromDirectory(_dir);
        var template = ChatTemplate.FromDirectory(_dir)!;
        var c = DemoTransformer2.Categories(["chemistry", "biology"], out _)!;
        string path = Path.Combine(_dir, DemoTransformer2.ClassifierDataFile);
        int rows = DemoTransformer2.WriteClassifierData(c, c.ExpertLabels.ToDictionary(d => d, d => Path.Combine(_dir, DemoWorldWriter.FileName(d, DemoSplit.Train))), template, tokenizer, path);
        Assert.Equal(world.Domain("chemistry").Train.Count + world.Domain("biology").Train.Count, rows);

        var data = TrainingData.Load([path], tokenizer, new DataOptions { MaxLength = 256, Eos = EosPolicy.None }, ValidationSize.None, 1);
        var question = world.Domain("biology").Train[0];
        // The label-score pass scores "label}" after exactly these tokens.
        var prefix = ClassificationPrompt.Encode(tokenizer, template, question.Prompt, ClassificationPrompt.AssistantPrefill, DemoTransformer2.SystemText(c));
        var example = data.Train.Single(e => e.InputIds.Take(prefix.Count).SequenceEqual(prefix) && e.InputIds.Length > prefix.Count);
        Assert.Equal(ByteTokenizerJson.BosId, example.InputIds[0]);
        Assert.Equal(1, example.InputIds.Count(id => id == ByteTokenizerJson.BosId));
        Assert.Equal(prefix.Count + example.TrainedIds().Length, example.InputIds.Length);    // the loss covers exactly what follows the prefill
        Assert.Equal("biology}", tokenizer.Decode(example.TrainedIds(), SkipSpecial.No));
        Assert.True(data.Train.Max(e => e.InputIds.Length) <= 256);
    }

    [Fact]
    public void Dispatch_accuracy_counts_only_the_sets_that_are_labels()
    {
        var d = WithDispatch().Dispatch[0];
        Assert.Equal(6, d.Correct);
        Assert.Equal(10, d.Total);
        Assert.Equal(Wilson.Interval(6, 10), d.Interval);
        Assert.Equal(new AccuracyInterval(0, 0, 1), (d with { Rows = [d.Rows[1]] }).Interval);
    }

    [Fact]
    public void The_report_json_and_console_show_the_dispatch_matrix()
    {
        var results = WithDispatch();
        var files = DemoReportWriter.Write(results, _dir);
        var page = LoadXml(files.Index);
        var section = page.Descendants(Xhtml + "section").Single(s => (string)s.Attribute("id")! == "dispatch");
        var cells = section.Descendants(Xhtml + "tbody").Single().Elements(Xhtml + "tr")
            .Select(tr => string.Join(",", tr.Elements(Xhtml + "td").Select(td => td.Value))).ToList();
        Assert.Equal(["chemistry,6,1,3", "cross-domain,2,2,1"], cells);
        Assert.Contains("60.0% [", section.Element(Xhtml + "h3")!.Value, StringComparison.Ordinal);

        string json = File.ReadAllText(files.ResultsJson);
        var back = DemoJson.Deserialize(json);
        Assert.Equal(results.Dispatch[0].Rows.Select(r => r.Counts.ToArray()), back.Dispatch[0].Rows.Select(r => r.Counts.ToArray()));
        var written = JsonDocument.Parse(json).RootElement.GetProperty("dispatch")[0];
        Assert.Equal(6, written.GetProperty("correct").GetInt32());
        Assert.Equal(10, written.GetProperty("total").GetInt32());

        string line = Assert.Single(DemoConsole.DispatchLines(results));
        Assert.StartsWith("dispatch t2:prompt: 60.0% [", line, StringComparison.Ordinal);
        Assert.EndsWith("(6/10); dispatched: chemistry 8, biology 3, other 4", line, StringComparison.Ordinal);
        var output = new StringWriter();
        DemoConsole.Write(results, output, DemoOutputFormat.Table);
        Assert.Contains(line, output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown method", "dispatch 't2:nothing': no results row of that method")]
    [InlineData("count mismatch", "row 'chemistry' has counts [6, 1]; expected 3 counts")]
    [InlineData("unknown set", "row 'biology' is not an evaluation set")]
    public void Bad_dispatch_matrices_are_clear_errors(string fault, string expected)
    {
        var r = WithDispatch();
        var d = r.Dispatch[0];
        var bad = fault switch
        {
            "unknown method" => d with { Method = "t2:nothing" },
            "count mismatch" => d with { Rows = [new("chemistry", [6, 1])] },
            _ => d with { Rows = [new("biology", [1, 0, 0])] },
        };
        var e = Assert.Throws<ArgumentException>(() => DemoReportWriter.Write(r with { Dispatch = [bad] }, _dir));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}

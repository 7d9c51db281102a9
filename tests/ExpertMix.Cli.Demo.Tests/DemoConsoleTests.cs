// DemoConsole: the Spectre results table and its one-object JSON form; DemoOrthogonality from a real orthogonality matrix.
using System.Text.Json;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Study;
using ExpertMix.Cli.Commands.Lora;
using ExpertMix.Tensors;
using static ExpertMix.Cli.Demo.Tests.DemoFixtures;

namespace ExpertMix.Cli.Demo.Tests;

public sealed class DemoConsoleTests
{
    [Fact]
    public void The_table_has_two_columns_per_set_and_a_row_per_method()
    {
        var results = Results();
        var table = DemoConsole.RenderTable(results);
        Assert.Equal(1 + (2 * results.EvaluationSets.Count), table.Columns.Count);
        Assert.Equal(results.Rows.Count, table.Rows.Count);
        var output = new StringWriter();
        DemoConsole.Write(results, output, DemoOutputFormat.Table);
        string text = output.ToString();
        foreach (var row in results.Rows)
        {
            var s = row.Scores[0];
            var ci = Wilson.Interval(s.Correct, s.Total);
            string expected = FormattableString.Invariant($"{ci.Accuracy * 100:0.0} [{ci.Low * 100:0.0}–{ci.High * 100:0.0}]");
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
        Assert.Contains("merge:ties", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_form_is_one_object_with_intervals_and_the_report_path()
    {
        var results = Results();
        string dir = TempDir();
        var files = DemoReportWriter.Write(results, dir);
        var output = new StringWriter();
        DemoConsole.Write(results, output, DemoOutputFormat.Json, files);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var root = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal(files.Index, root.GetProperty("report").GetString());
        Assert.Equal(results.Rows.Count, root.GetProperty("rows").GetArrayLength());
        Assert.Equal("expert:" + OddExpert, root.GetProperty("rows")[2].GetProperty("method").GetString());
        var score = root.GetProperty("rows")[1].GetProperty("scores")[0];
        var expected = Wilson.Interval(results.Rows[1].Scores[0].Correct, results.Rows[1].Scores[0].Total);
        Assert.Equal(expected.Low, score.GetProperty("interval").GetProperty("low").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("rows")[6].GetProperty("scores")[0].GetProperty("perplexity").ValueKind);
        Assert.False(root.TryGetProperty("scalings", out _));
    }

    [Fact]
    public void Orthogonality_from_a_matrix_draws_the_lora_analyze_heatmap_and_round_trips()
    {
        var adapters = new[] { RandomAdapter("a", 1), RandomAdapter("b<&>", 2), RandomAdapter("c", 3) };
        try
        {
            var matrix = Orthogonality.Pairwise(adapters.Select(a => new MergeInput(a, 1)).ToList());
            var o = DemoOrthogonality.FromMatrix(matrix);
            Assert.Equal(6, o.Pairs.Count);
            Assert.Equal(3, o.CrossPairs.Count());
            var rms = o.RmsCosine();
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++) Assert.Equal(matrix.RmsCosine[i, j], rms[i, j]);
            }
            Assert.Equal(SvgHeatmap.Render(matrix.RmsCosine, matrix.Names, matrix.Names, LoraAnalyzeCommand.HeatmapTitle), DemoCharts.Orthogonality(o));
            var results = Results() with { Orthogonality = o };
            var back = DemoJson.Deserialize(DemoJson.Serialize(results, DemoJsonLayout.Compact));
            Assert.Equal(o.Pairs.Select(p => p.RmsCosine), back.Orthogonality!.Pairs.Select(p => p.RmsCosine));
            Assert.Equal(o.Pairs[1].Modules.Select(m => m.Cosine), back.Orthogonality.Pairs[1].Modules.Select(m => m.Cosine));
        }
        finally
        {
            foreach (var a in adapters) a.Dispose();
        }
    }

    [Fact]
    public void A_missing_pair_is_a_grey_cell()
    {
        var o = new DemoOrthogonality(["x", "y"], [Pair("x", "x", 1), Pair("y", "y", 1)]);
        var rms = o.RmsCosine();
        Assert.True(double.IsNaN(rms[0, 1]) && double.IsNaN(rms[1, 0]));
        Assert.Equal(1, rms[1, 1]);
        Assert.Contains("fill=\"#ccc\"", DemoCharts.Orthogonality(o), StringComparison.Ordinal);
    }

    [Fact]
    public void Summation_rows_become_delta_sum_and_factor_sum_points()
    {
        var row = new SummationRow(3, ["math", "law"], new Dictionary<string, double> { ["math"] = 5, ["law"] = 6 }, 20, 7, 7.7, 8.4, 10, 20, 4, 0.05, 0.01, 0.2, 3, 0.1, 0);
        var points = DemoInterference.FromSummation(row);
        Assert.Equal([row.DeltaSumVsJointPercent, row.FactorSumVsJointPercent], points.Select(p => p.MeasuredPercent));
        Assert.All(points, p => Assert.Equal(row.RmsCosine, p.RmsCosine));
        Assert.Equal("math + law", points[0].Label);
    }

    private static LoraAdapter RandomAdapter(string name, ulong seed)
    {
        var rng = new Rng(seed);
        var config = new LoraConfig { Rank = 2, Alpha = 4, TargetModules = TargetModules.List(["q_proj", "v_proj"]) };
        var modules = new[] { ("model.layers.0.self_attn.q_proj", 6, 5), ("model.layers.0.self_attn.v_proj", 4, 5) }
            .Select(m => new LoraModule(m.Item1, Tensor.Randn(new Shape(2, m.Item3), rng), Tensor.Randn(new Shape(m.Item2, 2), rng), 2f)) // A [r, in], B [out, r]
            .ToList();
        return new LoraAdapter(name, config, modules);
    }
}

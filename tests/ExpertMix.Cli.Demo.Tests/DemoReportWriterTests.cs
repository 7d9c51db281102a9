// DemoReportWriter: well-formed XHTML/SVG, escaping, bar heights and Wilson whiskers read back from the SVG, links, determinism.
using System.Globalization;
using ExpertMix.Adapters.Evaluation;
using static ExpertMix.Cli.Demo.Tests.DemoFixtures;

namespace ExpertMix.Cli.Demo.Tests;

public sealed class DemoReportWriterTests
{
    [Fact]
    public void Every_file_is_well_formed_xml_and_the_page_is_xhtml()
    {
        string dir = TempDir();
        var files = DemoReportWriter.Write(Results(), dir);
        Assert.Equal(7, files.All.Count);
        foreach (var svg in files.All.Where(f => f.EndsWith(".svg", StringComparison.Ordinal)))
        {
            Assert.Equal(Svg + "svg", LoadXml(svg).Root!.Name);
        }
        var page = LoadXml(files.Index);
        Assert.Equal(Xhtml + "html", page.Root!.Name);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(files.Index), StringComparison.Ordinal);
        string[] sections = ["run", "results", "scalings", "orthogonality", "interference", "training", "timings"];
        Assert.Equal(sections, page.Descendants(Xhtml + "section").Select(s => (string)s.Attribute("id")!));
        Assert.All(page.Descendants(Xhtml + "section"), s => Assert.Contains(s.Elements(Xhtml + "p"), p => (string?)p.Attribute("class") == "note"));
    }

    [Fact]
    public void Every_referenced_file_exists_and_nothing_is_external()
    {
        string dir = TempDir();
        var files = DemoReportWriter.Write(Results(), dir);
        var page = LoadXml(files.Index);
        var refs = page.Descendants().SelectMany(e => e.Attributes()).Where(a => a.Name.LocalName is "src" or "href").Select(a => a.Value).ToList();
        Assert.Contains(DemoReportWriter.ResultsSvgFile, refs);
        Assert.Contains(DemoReportWriter.ScalingsSvgFile, refs);
        Assert.Contains(DemoReportWriter.ResultsJsonFile, refs);
        foreach (string r in refs)
        {
            Assert.False(r.Contains(':', StringComparison.Ordinal) || r.StartsWith('/'), $"'{r}' is not a relative path");
            Assert.True(File.Exists(Path.Combine(dir, r)), $"index.html refers to missing '{r}'");
        }
        Assert.DoesNotContain(page.Descendants(), e => e.Name.LocalName is "script" or "link");
        Assert.All(files.All, f => Assert.True(File.Exists(f), f));
    }

    [Fact]
    public void Odd_names_are_escaped_and_read_back_verbatim()
    {
        string dir = TempDir();
        var files = DemoReportWriter.Write(Results(), dir);
        string html = File.ReadAllText(files.Index);
        Assert.DoesNotContain("<&>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("a<b>", html, StringComparison.Ordinal);
        var page = LoadXml(files.Index);
        var cells = page.Descendants(Xhtml + "td").Select(td => td.Value).ToList();
        Assert.Contains("expert:" + OddExpert, cells);
        Assert.Contains("evaluate <all>", cells);
        Assert.Contains("Linux x64 <test> & co", cells);
        Assert.Contains(page.Descendants(Xhtml + "th"), th => th.Value == OddSet);
        Assert.Contains(page.Descendants(Xhtml + "blockquote"), q => q.Value == Results().Scalings!.Prompt);
        var bars = LoadXml(files.Results).Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        Assert.Contains(bars, b => (string?)b.Attribute("data-method") == "expert:" + OddExpert && (string?)b.Attribute("data-set") == OddSet);
        var heat = LoadXml(files.Orthogonality!).Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains(OddExpert, heat);
        var curves = LoadXml(files.TrainingCurves!).Descendants(Svg + "polyline").Select(p => (string?)p.Attribute("data-phase")).ToList();
        Assert.Contains("lora:" + OddExpert, curves);
    }

    [Fact]
    public void Bar_heights_are_proportional_to_accuracy_on_one_baseline()
    {
        var results = Results();
        string dir = TempDir();
        var doc = LoadXml(DemoReportWriter.Write(results, dir).Results);
        var bars = doc.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        var scored = results.Rows.SelectMany(r => r.Scores.Where(s => s.Total > 0).Select(s => (r.Method, s))).ToList();
        Assert.Equal(scored.Count, bars.Count);
        var tallest = bars.MaxBy(b => Num(b, "height"))!;
        double full = Num(tallest, "height") / Num(tallest, "data-accuracy");
        double baseline = Num(tallest, "y") + Num(tallest, "height");
        foreach (var (method, s) in scored)
        {
            var bar = Assert.Single(bars, b => (string?)b.Attribute("data-method") == method && (string?)b.Attribute("data-set") == s.EvaluationSet);
            double accuracy = (double)s.Correct / s.Total;
            Assert.Equal(accuracy, Num(bar, "data-accuracy"), 12);
            Assert.Equal(accuracy * full, Num(bar, "height"), 0.011);
            Assert.Equal(baseline, Num(bar, "y") + Num(bar, "height"), 0.011);
        }
        Assert.True(full > 100, $"full-scale bar height {full}");
        var legend = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "legend").Select(g => g.Value).ToList();
        Assert.Equal(results.EvaluationSets, legend);
        var axes = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "axis-label").Select(t => t.Value).ToList();
        Assert.Equal(["method", "accuracy (%)"], axes);
    }

    [Fact]
    public void Each_bar_has_a_whisker_spanning_its_wilson_interval()
    {
        var results = Results();
        string dir = TempDir();
        var doc = LoadXml(DemoReportWriter.Write(results, dir).Results);
        var bars = doc.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        var tallest = bars.MaxBy(b => Num(b, "height"))!;
        double full = Num(tallest, "height") / Num(tallest, "data-accuracy"), baseline = Num(tallest, "y") + Num(tallest, "height");
        foreach (var bar in bars)
        {
            var row = results.Rows.Single(r => r.Method == (string?)bar.Attribute("data-method"));
            var score = row.Score((string)bar.Attribute("data-set")!)!;
            var expected = Wilson.Interval(score.Correct, score.Total);
            var whisker = bar.ElementsAfterSelf(Svg + "line").First();
            Assert.Equal("whisker", (string?)whisker.Attribute("class"));
            Assert.InRange(Num(whisker, "x1"), Num(bar, "x"), Num(bar, "x") + Num(bar, "width"));
            Assert.Equal(Num(whisker, "x1"), Num(whisker, "x2"));
            Assert.Equal(baseline - (expected.High * full), Num(whisker, "y1"), 0.011);
            Assert.Equal(baseline - (expected.Low * full), Num(whisker, "y2"), 0.011);
            Assert.True(expected.Low <= expected.Accuracy && expected.Accuracy <= expected.High);
            Assert.Equal(2, whisker.ElementsAfterSelf(Svg + "line").Take(2).Count(l => (string?)l.Attribute("class") == "whisker-cap"));
        }
    }

    [Fact]
    public void Training_curves_draw_one_line_per_phase_and_skip_non_finite_losses()
    {
        var results = Results();
        string dir = TempDir();
        var doc = LoadXml(DemoReportWriter.Write(results, dir).TrainingCurves!);
        var train = doc.Descendants(Svg + "polyline").Where(p => (string?)p.Attribute("class") == "train").ToList();
        Assert.Equal(results.Curves.Select(c => c.Phase), train.Select(p => (string?)p.Attribute("data-phase")));
        var validation = doc.Descendants(Svg + "polyline").Where(p => (string?)p.Attribute("class") == "validation").Select(p => (string?)p.Attribute("data-phase"));
        Assert.Equal(["lora:chemistry", "xlora gate"], validation);
        for (int c = 0; c < train.Count; c++)
        {
            var points = ((string)train[c].Attribute("points")!).Split(' ').Select(xy => xy.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
            var losses = results.Curves[c].Points.Where(p => double.IsFinite(p.TrainLoss)).ToList();
            Assert.Equal(losses.Count, points.Count);
            for (int i = 1; i < points.Count; i++)
            {
                Assert.True(points[i][0] > points[i - 1][0], "steps increase to the right");
                Assert.Equal(losses[i].TrainLoss < losses[i - 1].TrainLoss, points[i][1] > points[i - 1][1]);
            }
        }
    }

    [Fact]
    public void Equal_input_gives_byte_identical_files()
    {
        string a = TempDir(), b = TempDir();
        var fa = DemoReportWriter.Write(Results(), a);
        DemoReportWriter.Write(Results(), b);
        foreach (string f in fa.All)
        {
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(b, Path.GetFileName(f))));
        }
        Assert.Empty(Directory.GetFiles(a, "*.tmp-*"));
    }

    [Fact]
    public void Results_json_round_trips()
    {
        string dir = TempDir();
        var files = DemoReportWriter.Write(Results(), dir);
        string json = File.ReadAllText(files.ResultsJson);
        var back = DemoJson.Deserialize(json);
        Assert.Equal(json, DemoJson.Serialize(back, DemoJsonLayout.Indented) + "\n");
        Assert.Equal(Results().Rows.Select(r => r.Method), back.Rows.Select(r => r.Method));
        Assert.Equal(OddExpert, back.Orthogonality!.Adapters[1]);
        Assert.Equal(Results().Scalings, back.Scalings);
        Assert.True(double.IsNaN(back.Curves[1].Points[2].TrainLoss));
        var root = System.Text.Json.JsonDocument.Parse(json).RootElement;
        var score = root.GetProperty("rows")[0].GetProperty("scores")[0];
        var ci = Wilson.Interval(score.GetProperty("correct").GetInt32(), score.GetProperty("total").GetInt32());
        Assert.Equal(ci.Low, score.GetProperty("interval").GetProperty("low").GetDouble());
        Assert.Equal(ci.High, score.GetProperty("interval").GetProperty("high").GetDouble());
        Assert.Equal(Results().Timings.Sum(t => t.Seconds), root.GetProperty("total_seconds").GetDouble());
        Assert.Equal("quick", root.GetProperty("run").GetProperty("mode").GetString());
    }

    [Fact]
    public void Optional_sections_left_over_from_an_earlier_run_are_removed()
    {
        string dir = TempDir();
        DemoReportWriter.Write(Results(), dir);
        var files = DemoReportWriter.Write(Results(withScalings: false) with { Orthogonality = null, Interference = [], Curves = [] }, dir);
        Assert.Null(files.Scalings);
        foreach (string f in new[] { DemoReportWriter.ScalingsSvgFile, DemoReportWriter.OrthogonalitySvgFile, DemoReportWriter.InterferenceSvgFile, DemoReportWriter.TrainingCurvesSvgFile })
        {
            Assert.False(File.Exists(Path.Combine(dir, f)), f);
        }
        var page = LoadXml(files.Index);
        Assert.Equal(["run", "results", "timings"], page.Descendants(Xhtml + "section").Select(s => (string)s.Attribute("id")!));
    }

    [Theory]
    [InlineData("correct > total", "method 'base', evaluation set 'chemistry': correct = 101, total = 100")]
    [InlineData("unknown set", "method 'base', evaluation set 'biology': unknown evaluation set")]
    [InlineData("duplicate method", "method 'base' appears twice")]
    [InlineData("bad perplexity", "perplexity NaN")]
    [InlineData("bad svg", "X-LoRA scalings SVG is not well-formed XML")]
    [InlineData("unknown expert", "names an expert not in")]
    public void Bad_results_are_clear_errors(string fault, string expected)
    {
        var r = Results();
        DemoRow Base(DemoScore s) => r.Rows[0] with { Scores = [s] };
        DemoResults bad = fault switch
        {
            "correct > total" => r with { Rows = [Base(new DemoScore("chemistry", 101, 100, null)), .. r.Rows.Skip(1)] },
            "unknown set" => r with { Rows = [Base(new DemoScore("biology", 1, 2, null)), .. r.Rows.Skip(1)] },
            "duplicate method" => r with { Rows = [.. r.Rows, r.Rows[0]] },
            "bad perplexity" => r with { Rows = [Base(new DemoScore("chemistry", 1, 2, double.NaN)), .. r.Rows.Skip(1)] },
            "bad svg" => r with { Scalings = new DemoScalings("q", "<svg><text>a & b</text></svg>") },
            _ => r with { Orthogonality = r.Orthogonality! with { Pairs = [Pair("chemistry", "physics", 0.1)] } },
        };
        string dir = TempDir();
        var e = Assert.Throws<ArgumentException>(() => DemoReportWriter.Write(bad, dir));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("demo results:", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void Malformed_results_json_is_a_clear_error()
    {
        var e = Assert.Throws<InvalidDataException>(() => DemoJson.Deserialize("{\"run\": 3}", "demo-report/results.json"));
        Assert.Contains("demo-report/results.json", e.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<InvalidDataException>(() => DemoJson.Deserialize("{}", "r.json"));
        Assert.Contains("missing one of run", missing.Message, StringComparison.Ordinal);
    }
}

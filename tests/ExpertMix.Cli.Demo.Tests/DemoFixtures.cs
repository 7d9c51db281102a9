// A fake DemoResults (no training) with awkward names, a missing score, an unscored set and every optional section.
using System.Xml;
using System.Xml.Linq;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Demo.Tests;

internal static class DemoFixtures
{
    /// <summary>An expert name with every character XML escapes.</summary>
    public const string OddExpert = "law <&> \"quoted\" 'single'";

    /// <summary>An evaluation set name with markup characters.</summary>
    public const string OddSet = "a<b>&c";

    public static DemoResults Results(bool withScalings = true)
    {
        string[] sets = ["chemistry", OddSet, "cross-domain"];
        DemoRow Row(string method, params (string Set, int Correct, int Total, double? Ppl)[] scores) =>
            new(method, scores.Select(s => new DemoScore(s.Set, s.Correct, s.Total, s.Ppl)).ToList());
        var rows = new List<DemoRow>
        {
            Row("base", ("chemistry", 31, 100, 21.5), (OddSet, 12, 40, 30.25), ("cross-domain", 9, 50, 25.0)),
            Row("expert:chemistry", ("chemistry", 64, 100, 9.75), (OddSet, 14, 40, 28.0), ("cross-domain", 20, 50, 15.5)),
            Row("expert:" + OddExpert, ("chemistry", 30, 100, 22.0), (OddSet, 33, 40, 8.5), ("cross-domain", 21, 50, 14.0)),
            Row("merge:ties", ("chemistry", 55, 100, 11.0), (OddSet, 29, 40, 10.0), ("cross-domain", 30, 50, 11.25)),
            Row("merge:cat", ("chemistry", 58, 100, 10.5), (OddSet, 0, 40, 10.5)),
            Row("xlora", ("chemistry", 100, 100, 8.0), (OddSet, 31, 40, 8.75), ("cross-domain", 36, 50, 9.0)),
            Row("t2:prompt", ("chemistry", 60, 100, null), (OddSet, 0, 0, null), ("cross-domain", 33, 50, null)),
        };
        var curves = new List<DemoCurve>
        {
            new("lora:chemistry", [new(1, 3.2, null), new(10, 2.4, 2.6), new(20, 1.9, 2.3), new(30, 1.7, 2.25)]),
            new("lora:" + OddExpert, [new(1, 3.5, null), new(10, 2.8, null), new(20, double.NaN, null), new(30, 2.1, null)]),
            new("xlora gate", [new(1, 1.1, 1.2), new(5, 0.9, 1.0)]),
        };
        var orthogonality = new DemoOrthogonality(["chemistry", OddExpert],
        [
            Pair("chemistry", "chemistry", 1.0),
            Pair("chemistry", OddExpert, 0.0123),
            Pair(OddExpert, OddExpert, 1.0),
        ]);
        var interference = new List<DemoInterference>
        {
            new(["chemistry", OddExpert], "merge:delta-sum", 0.0123, 4.5, "joint"),
            new(["chemistry", OddExpert], "merge:ties", 0.0123, 7.25, "joint"),
            new(["chemistry", "physics"], "merge:delta-sum", 0.04, 12.0, "joint"),
        };
        var scalings = withScalings
            ? new DemoScalings("Which reagent <makes> a contract \"void\" & why?", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><text>λ &amp; co</text></svg>\n")
            : null;
        return new DemoResults(
            new DemoRunInfo(7, DemoMode.Quick, "stories260K (llama, 260K parameters, f32)", "Linux x64 <test> & co", 2),
            sets, rows, [new("train experts", 12.5), new("merge", 0.75), new("evaluate <all>", 65.0)], curves, orthogonality, interference, scalings);
    }

    public static PairOrthogonality Pair(string i, string j, double rms) =>
        new(i, j, 4, rms, rms / 2, rms / 3, null, 0.25, 0.5, null, 0.001, [new ModuleOrthogonality("model.layers.0.self_attn.q_proj", 8, 8, 0.5, 1, 1, rms, null, 0.25, 0.5, 0.7, 0.8, null, 0.1)]);

    /// <summary>A fresh directory, deleted with the test process.</summary>
    public static string TempDir() => TestTempDirectory.Create("demo-");

    /// <summary>Parses <paramref name="path"/> as XML (a DOCTYPE is skipped); throws on any well-formedness error.</summary>
    public static XDocument LoadXml(string path)
    {
        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    public static XNamespace Svg => "http://www.w3.org/2000/svg";

    public static XNamespace Xhtml => "http://www.w3.org/1999/xhtml";

    public static double Num(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, System.Globalization.CultureInfo.InvariantCulture);
}

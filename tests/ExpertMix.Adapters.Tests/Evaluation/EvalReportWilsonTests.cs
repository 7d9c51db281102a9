// The Wilson interval in the eval report: per seed and pooled over seeds, and in the JSON summary.
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class EvalReportWilsonTests
{
    private static EvalReport Report(params EvalSeedResult[] seeds) => new()
    {
        Task = "t",
        Split = EvalSplit.Test,
        SplitRule = "rule",
        N = seeds[0].N,
        Accuracy = seeds.Average(s => s.Interval.Accuracy),
        AccuracySd = 0,
        Interval = seeds[0].Interval,
        FirstPassSeconds = 0,
        SecondPassSeconds = 0,
        Seeds = seeds,
        Records = [],
    };

    [Fact]
    public void One_seed_uses_its_counts_and_several_seeds_pool_them()
    {
        var s0 = new EvalSeedResult(0, 263, new AccuracyInterval(81.0 / 263, 0, 1), 0, 0, 0);
        var s1 = new EvalSeedResult(1, 148, new AccuracyInterval(15.0 / 148, 0, 1), 0, 0, 0);
        Assert.Equal(Wilson.Interval(81, 263), Report(s0).Wilson);
        Assert.Equal(Wilson.Interval(96, 411), Report(s0, s1).Wilson);

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) Report(s0, s1).WriteSummaryJson(w);
        var root = JsonDocument.Parse(ms.ToArray()).RootElement;
        Assert.Equal(Wilson.Interval(96, 411).Low, root.GetProperty("wilson_low").GetDouble(), 15);
        Assert.Equal(Wilson.Interval(96, 411).High, root.GetProperty("wilson_high").GetDouble(), 15);
        var seed1 = root.GetProperty("seeds")[1];
        Assert.Equal(Wilson.Interval(15, 148).Low, seed1.GetProperty("wilson_low").GetDouble(), 15);
    }
}

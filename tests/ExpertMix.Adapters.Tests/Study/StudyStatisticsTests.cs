// The study's statistics and plot: Pearson/slope against hand computations, bootstrap reproducibility, valid SVG.
using System.Xml.Linq;
using ExpertMix.Adapters.Study;

namespace ExpertMix.Adapters.Tests.Study;

public class StudyStatisticsTests
{
    [Fact]
    public void Pearson_and_slope_match_a_hand_computation_and_the_bootstrap_brackets_them()
    {
        double[] x = [0.01, 0.02, 0.03, 0.05, 0.08];
        double[] y = [-9, 2, 5, 20, 27];
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum();
        double sxx = x.Sum(a => (a - mx) * (a - mx)), syy = y.Sum(b => (b - my) * (b - my));
        var fit = Correlation.Fit(x, y, resamples: 500, seed: 1);
        Assert.Equal(sxy / Math.Sqrt(sxx * syy), fit.Pearson, 12);
        Assert.Equal(sxy / sxx, fit.Slope, 9);
        Assert.Equal(my - fit.Slope * mx, fit.Intercept, 9);
        Assert.InRange(fit.Pearson, fit.PearsonLow, fit.PearsonHigh);
        Assert.InRange(fit.Slope, fit.SlopeLow, fit.SlopeHigh);
        Assert.Equal(fit, Correlation.Fit(x, y, resamples: 500, seed: 1));
        Assert.NotEqual(fit.PearsonLow, Correlation.Fit(x, y, resamples: 500, seed: 2).PearsonLow);
    }

    [Fact]
    public void Degenerate_inputs_give_nan_not_an_exception()
    {
        var flat = Correlation.Fit([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]);
        Assert.True(double.IsNaN(flat.Pearson) && double.IsNaN(flat.Slope));
        Assert.True(double.IsNaN(Correlation.Fit([1.0], [2.0]).Pearson));
        Assert.Throws<ArgumentException>(() => Correlation.Fit([1.0], [1.0, 2.0]));
    }

    [Fact]
    public void The_scatter_plot_is_well_formed_svg_with_one_circle_per_point_and_escaped_labels()
    {
        var pts = new[] { new ScatterPoint(0.1, 5, "math+med <seed 0>", "delta-sum"), new ScatterPoint(0.2, -3, "fin+med", "factor-sum"), new ScatterPoint(double.NaN, 1, "bad", "x") };
        string svg = SvgScatter.Render(pts, "ΔPPL vs RMS cos", "RMS cosine", "ΔPPL %", (1, 2));
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var circles = doc.Descendants(ns + "circle").ToList();
        Assert.Equal(2 + 2, circles.Count);                                       // 2 finite points + 2 legend dots
        Assert.Contains(doc.Descendants(ns + "title"), t => t.Value.StartsWith("math+med <seed 0>", StringComparison.Ordinal));
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "ΔPPL %");
    }

    [Fact]
    public void The_heatmap_is_wide_enough_for_a_long_rotated_column_label()
    {
        string[] names = ["a", "an expert with a rather long name"];
        var doc = XDocument.Parse(SvgHeatmap.Render(new double[,] { { 1, 0.1 }, { 0.1, 1 } }, names, names, "RMS cosine"));
        XNamespace ns = "http://www.w3.org/2000/svg";
        double width = double.Parse((string)doc.Root!.Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture);
        var last = doc.Descendants(ns + "text").Single(t => t.Value == names[1] && ((string?)t.Attribute("transform"))?.Contains("rotate(-45)", StringComparison.Ordinal) == true);
        var origin = ((string)last.Attribute("transform")!).Split('(', ' ', ')')[1];
        double x = double.Parse(origin, System.Globalization.CultureInfo.InvariantCulture);
        // At font-size 11 a sans-serif character is at least ~5.5 px wide; rotated by 45° it advances ≥ 3.9 px to the right.
        Assert.True(width >= x + (names[1].Length * 3.9), $"width {width} cuts the label that starts at x = {x}");
        var cells = doc.Descendants(ns + "rect").Count(r => r.Element(ns + "title") is not null);
        Assert.Equal(4, cells);
    }
}

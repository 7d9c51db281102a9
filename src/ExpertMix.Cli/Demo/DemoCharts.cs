// The demo report's SVG charts: grouped accuracy bars with Wilson whiskers, loss curves, and the reused heatmap and scatter.
using System.Globalization;
using System.Text;
using ExpertMix.Adapters.Study;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// Standalone SVG documents (white background, sans-serif, colours and escaping from <see cref="SvgStyle"/>) for the report.
/// Every number is written with the invariant culture, so equal input gives byte-identical output.
/// </summary>
internal static class DemoCharts
{
    private const double Top = 50, PlotHeight = 300, Left = 70;

    private enum Swatch
    {
        Bar,
        Line,
        DashedLine,
    }

    /// <summary>
    /// Grouped bar chart: one group per method (x, labels rotated), one bar per evaluation set (colour, legend); the bar height is
    /// accuracy k/n × the plot height (the y axis runs 0–100%), and a whisker with caps spans the Wilson 95% interval.
    /// Sets a method was not scored on (n = 0) get no bar. Bars carry <c>class="bar"</c>, <c>data-method</c>, <c>data-set</c>
    /// and <c>data-accuracy</c>; whiskers <c>class="whisker"</c> with <c>data-low</c>/<c>data-high</c>.
    /// </summary>
    public static string Results(DemoResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sets = results.EvaluationSets;
        double barWidth = sets.Count <= 3 ? 18 : 12, gap = 16, groupWidth = (sets.Count * barWidth) + gap;
        double plotWidth = Math.Max(240, results.Rows.Count * groupWidth), legendWidth = LegendWidth(sets);
        double bottom = 50 + (4.2 * Math.Min(40, results.Rows.Select(r => r.Method.Length).DefaultIfEmpty(0).Max())); // labels rotated −35°: ≈ sin 35° × 7 px per character
        double w = Left + plotWidth + legendWidth, h = Top + PlotHeight + bottom;
        double Sy(double accuracy) => Top + PlotHeight - (accuracy * PlotHeight);
        var sb = Open(w, h, "Accuracy per method and evaluation set (bars: k/n; whiskers: Wilson 95% interval)");
        foreach (double t in new[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 })
        {
            Append(sb, $"<line x1=\"{Left}\" y1=\"{N(Sy(t))}\" x2=\"{Left + plotWidth}\" y2=\"{N(Sy(t))}\" stroke=\"#eee\"/>\n");
            Append(sb, $"<text x=\"{Left - 8}\" y=\"{N(Sy(t) + 4)}\" text-anchor=\"end\">{N(t * 100)}%</text>\n");
        }
        for (int i = 0; i < results.Rows.Count; i++)
        {
            var row = results.Rows[i];
            double x0 = Left + (i * groupWidth) + (gap / 2);
            for (int j = 0; j < sets.Count; j++)
            {
                if (row.Score(sets[j]) is not { HasAccuracy: true } s) continue;
                var ci = s.Interval;
                double x = x0 + (j * barWidth), cx = x + (barWidth / 2), height = ci.Accuracy * PlotHeight;
                string tip = $"{Esc(row.Method)} — {Esc(sets[j])}: {Pct(ci.Accuracy)} ({s.Correct}/{s.Total}), 95% CI {Pct(ci.Low)}–{Pct(ci.High)}";
                Append(sb, $"<rect class=\"bar\" data-method=\"{Esc(row.Method)}\" data-set=\"{Esc(sets[j])}\" data-accuracy=\"{R(ci.Accuracy)}\" x=\"{N(x)}\" y=\"{N(Sy(ci.Accuracy))}\" width=\"{N(barWidth - 1)}\" height=\"{N(height)}\" fill=\"{Colour(j, sets.Count)}\"><title>{tip}</title></rect>\n");
                Append(sb, $"<line class=\"whisker\" data-low=\"{R(ci.Low)}\" data-high=\"{R(ci.High)}\" x1=\"{N(cx)}\" y1=\"{N(Sy(ci.High))}\" x2=\"{N(cx)}\" y2=\"{N(Sy(ci.Low))}\" stroke=\"black\"/>\n");
                foreach (double v in new[] { ci.Low, ci.High })
                {
                    Append(sb, $"<line class=\"whisker-cap\" x1=\"{N(cx - 3)}\" y1=\"{N(Sy(v))}\" x2=\"{N(cx + 3)}\" y2=\"{N(Sy(v))}\" stroke=\"black\"/>\n");
                }
            }
            double labelX = x0 + ((groupWidth - gap) / 2);
            Append(sb, $"<text transform=\"translate({N(labelX)} {N(Top + PlotHeight + 14)}) rotate(-35)\" text-anchor=\"end\">{Esc(row.Method)}</text>\n");
        }
        Axes(sb, Left, Top, Left + plotWidth, Top + PlotHeight, "method", "accuracy (%)", h);
        Legend(sb, Left + plotWidth + 20, Top, sets.Select((s, j) => (s, Colour(j, sets.Count), Swatch.Bar)).ToList());
        return Close(sb);
    }

    /// <summary>
    /// Loss against optimizer step, one colour per phase: training loss as a solid polyline (<c>class="train"</c>), validation
    /// loss as a dashed polyline with dots (<c>class="validation"</c>). The y axis is logarithmic (base 10) when every loss is
    /// &gt; 0 and max/min &gt; 20, else linear over [min, max] padded by 5%; non-finite losses are skipped.
    /// </summary>
    public static string TrainingCurves(IReadOnlyList<DemoCurve> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        const double h = 440, bottom = 60, plotWidth = 560;
        double plotRight = Left + plotWidth, plotBottom = h - bottom;
        double w = plotRight + LegendWidth(curves.Select(c => c.Phase + " (validation)"));
        var all = curves.SelectMany(c => c.Points).ToList();
        var losses = all.Select(p => p.TrainLoss).Concat(all.Where(p => p.ValidationLoss.HasValue).Select(p => p.ValidationLoss!.Value)).Where(double.IsFinite).ToList();
        var steps = all.Select(p => (double)p.Step).ToList();
        double s0 = steps.Count > 0 ? steps.Min() : 0, s1 = steps.Count > 0 ? steps.Max() : 1;
        if (s1 <= s0) s1 = s0 + 1;
        bool log = losses.Count > 0 && losses.Min() > 0 && losses.Max() / losses.Min() > 20;
        var (y0, y1) = LossRange(losses, log);
        double Sx(double step) => Left + ((step - s0) / (s1 - s0) * (plotRight - Left));
        double Sy(double loss) => plotBottom - ((Scale(loss, log) - y0) / (y1 - y0) * (plotBottom - Top));
        var sb = Open(w, h, "Training loss per phase" + (log ? " (log scale)" : ""));
        foreach (double t in log ? LogTicks(y0, y1) : NiceTicks(y0, y1))
        {
            Append(sb, $"<line x1=\"{Left}\" y1=\"{N(Sy(t))}\" x2=\"{plotRight}\" y2=\"{N(Sy(t))}\" stroke=\"#eee\"/>\n");
            Append(sb, $"<text x=\"{Left - 8}\" y=\"{N(Sy(t) + 4)}\" text-anchor=\"end\">{G(t)}</text>\n");
        }
        foreach (double t in NiceTicks(s0, s1))
        {
            Append(sb, $"<text x=\"{N(Sx(t))}\" y=\"{plotBottom + 18}\" text-anchor=\"middle\">{G(t)}</text>\n");
        }
        var legend = new List<(string, string, Swatch)>();
        for (int c = 0; c < curves.Count; c++)
        {
            string colour = Colour(c, curves.Count), phase = Esc(curves[c].Phase);
            var train = curves[c].Points.Where(p => double.IsFinite(p.TrainLoss)).Select(p => $"{N(Sx(p.Step))},{N(Sy(p.TrainLoss))}");
            Append(sb, $"<polyline class=\"train\" data-phase=\"{phase}\" points=\"{string.Join(' ', train)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"><title>{phase}: training loss</title></polyline>\n");
            var validation = curves[c].Points.Where(p => p.ValidationLoss is { } v && double.IsFinite(v)).ToList();
            legend.Add((curves[c].Phase, colour, Swatch.Line));
            if (validation.Count == 0) continue;
            Append(sb, $"<polyline class=\"validation\" data-phase=\"{phase}\" points=\"{string.Join(' ', validation.Select(p => $"{N(Sx(p.Step))},{N(Sy(p.ValidationLoss!.Value))}"))}\" fill=\"none\" stroke=\"{colour}\" stroke-dasharray=\"5 3\"><title>{phase}: validation loss</title></polyline>\n");
            foreach (var p in validation)
            {
                Append(sb, $"<circle cx=\"{N(Sx(p.Step))}\" cy=\"{N(Sy(p.ValidationLoss!.Value))}\" r=\"2.5\" fill=\"{colour}\"><title>{phase} step {p.Step}: validation loss {G(p.ValidationLoss.Value)}</title></circle>\n");
            }
            legend.Add(($"{curves[c].Phase} (validation)", colour, Swatch.DashedLine));
        }
        Axes(sb, Left, Top, plotRight, plotBottom, "optimizer step", "loss" + (log ? " (log scale)" : ""), h);
        Legend(sb, plotRight + 20, Top, legend);
        return Close(sb);
    }

    /// <summary>The RMS-cosine heatmap of the experts, as <c>lora analyze --svg</c> draws it (<see cref="SvgHeatmap"/>).</summary>
    public static string Orthogonality(DemoOrthogonality orthogonality)
    {
        ArgumentNullException.ThrowIfNull(orthogonality);
        return SvgHeatmap.Render(orthogonality.RmsCosine(), orthogonality.Adapters, orthogonality.Adapters, Commands.Lora.LoraAnalyzeCommand.HeatmapTitle);
    }

    /// <summary>
    /// Measured ΔPPL% against the predicted RMS cosine, one colour per merge method (<see cref="SvgScatter"/>), with the
    /// least-squares line of <see cref="InterferenceFit"/> when it is defined.
    /// </summary>
    public static string Interference(IReadOnlyList<DemoInterference> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var fit = InterferenceFit(points);
        var line = double.IsFinite(fit.Slope) && double.IsFinite(fit.Intercept) ? (fit.Intercept, fit.Slope) : ((double, double)?)null;
        string r = double.IsFinite(fit.Pearson) ? $", Pearson r = {G(fit.Pearson)} over {fit.N} points" : "";
        return SvgScatter.Render(points.Select(p => new ScatterPoint(p.RmsCosine, p.MeasuredPercent, $"{p.Label} ({p.Method} vs {p.Reference})", p.Method)).ToList(),
            $"Predicted vs measured interference{r}", "predicted: RMS cosine of the experts' LoRA deltas", "measured: ΔPPL% of the merge vs its reference", line);
    }

    /// <summary>Pearson r and the least-squares line of measured ΔPPL% on RMS cosine over all points (descriptive: no bootstrap).</summary>
    public static CorrelationResult InterferenceFit(IReadOnlyList<DemoInterference> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        return Correlation.Fit(points.Select(p => p.RmsCosine).ToList(), points.Select(p => p.MeasuredPercent).ToList(), resamples: 0);
    }

    // ---- shared drawing ----------------------------------------------------------------------------------------

    private static StringBuilder Open(double w, double h, string title)
    {
        var sb = new StringBuilder();
        Append(sb, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(w)}\" height=\"{N(h)}\" viewBox=\"0 0 {N(w)} {N(h)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        Append(sb, $"<rect width=\"{N(w)}\" height=\"{N(h)}\" fill=\"white\"/>\n");
        Append(sb, $"<text x=\"{N(w / 2)}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Esc(title)}</text>\n");
        return sb;
    }

    private static string Close(StringBuilder sb) => sb.Append("</svg>\n").ToString();

    private static void Axes(StringBuilder sb, double left, double top, double right, double bottom, string xLabel, string yLabel, double height)
    {
        Append(sb, $"<line x1=\"{N(left)}\" y1=\"{N(bottom)}\" x2=\"{N(right)}\" y2=\"{N(bottom)}\" stroke=\"black\"/>\n");
        Append(sb, $"<line x1=\"{N(left)}\" y1=\"{N(top)}\" x2=\"{N(left)}\" y2=\"{N(bottom)}\" stroke=\"black\"/>\n");
        Append(sb, $"<text class=\"axis-label\" x=\"{N((left + right) / 2)}\" y=\"{N(height - 10)}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        Append(sb, $"<text class=\"axis-label\" transform=\"translate(20 {N((top + bottom) / 2)}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>\n");
    }

    private static void Legend(StringBuilder sb, double x, double y, IReadOnlyList<(string Label, string Colour, Swatch Swatch)> items)
    {
        for (int i = 0; i < items.Count; i++)
        {
            var (label, colour, swatch) = items[i];
            double yy = y + 10 + (i * 18);
            string mark = swatch switch
            {
                Swatch.Bar => $"<rect x=\"{N(x + 3)}\" y=\"{N(yy - 6)}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>",
                Swatch.Line => $"<line x1=\"{N(x)}\" y1=\"{N(yy)}\" x2=\"{N(x + 18)}\" y2=\"{N(yy)}\" stroke=\"{colour}\" stroke-width=\"2.5\"/>",
                _ => $"<line x1=\"{N(x)}\" y1=\"{N(yy)}\" x2=\"{N(x + 18)}\" y2=\"{N(yy)}\" stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>",
            };
            Append(sb, $"<g class=\"legend\">{mark}<text x=\"{N(x + 24)}\" y=\"{N(yy + 4)}\">{Esc(label)}</text></g>\n");
        }
    }

    /// <summary>Room for a legend at the right: swatch, gap and ≈ 7 px per character of the longest label (at least 150 px).</summary>
    private static double LegendWidth(IEnumerable<string> labels) => Math.Max(150, 50 + (7 * labels.Select(l => l.Length).DefaultIfEmpty(0).Max()));

    private static string Colour(int index, int count) => SvgStyle.Categorical(index, count);

    private static double Scale(double loss, bool log) => log ? Math.Log10(loss) : loss;

    private static (double Lo, double Hi) LossRange(List<double> losses, bool log)
    {
        if (losses.Count == 0) return (0, 1);
        double lo = Scale(losses.Min(), log), hi = Scale(losses.Max(), log);
        if (log) return (Math.Floor(lo), Math.Max(Math.Ceiling(hi), Math.Floor(lo) + 1));
        double pad = hi > lo ? 0.05 * (hi - lo) : Math.Max(1e-9, Math.Abs(lo) * 0.1);
        return (lo - pad, hi + pad);
    }

    /// <summary>Powers of ten from 10^lo to 10^hi (lo, hi whole numbers).</summary>
    private static IEnumerable<double> LogTicks(double lo, double hi)
    {
        for (double e = lo; e <= hi; e++) yield return Math.Pow(10, e);
    }

    /// <summary>About five multiples of 1, 2 or 5 × 10^k inside [lo, hi].</summary>
    private static IEnumerable<double> NiceTicks(double lo, double hi)
    {
        double raw = (hi - lo) / 5;
        if (!(raw > 0) || !double.IsFinite(raw))
        {
            yield return lo;
            yield break;
        }
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / magnitude;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
        for (double k = Math.Ceiling(lo / step); k * step <= hi + (step * 1e-9); k++) yield return k * step;
    }

    private static void Append(StringBuilder sb, FormattableString text) => sb.Append(text.ToString(CultureInfo.InvariantCulture));

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);

    private static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Esc(string s) => SvgStyle.Escape(s);
}

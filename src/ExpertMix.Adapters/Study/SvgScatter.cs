// A dependency-free SVG scatter plot with labelled points and an optional least-squares line.
using System.Globalization;
using System.Text;

namespace ExpertMix.Adapters.Study;

/// <summary>One labelled point.</summary>
/// <param name="X">Horizontal coordinate.</param>
/// <param name="Y">Vertical coordinate.</param>
/// <param name="Label">Text drawn beside the point.</param>
/// <param name="Group">Legend group (one colour per group).</param>
internal sealed record ScatterPoint(double X, double Y, string Label, string Group);

/// <summary>Renders scatter plots as standalone SVG (axes with ticks, one colour per group, a legend, an optional fit line y = a + b·x).</summary>
internal static class SvgScatter
{
    /// <summary>The SVG document text.</summary>
    public static string Render(IReadOnlyList<ScatterPoint> points, string title, string xLabel, string yLabel, (double Intercept, double Slope)? fit = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        const double w = 720, h = 480, left = 80, right = 180, top = 50, bottom = 60;
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var (x0, x1) = Range(finite.Select(p => p.X));
        var (y0, y1) = Range(finite.Select(p => p.Y).Append(0));
        double Sx(double x) => left + (x - x0) / (x1 - x0) * (w - left - right);
        double Sy(double y) => h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{w / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{Esc(title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"black\"/>\n");
        for (int i = 0; i <= 5; i++)
        {
            double xv = x0 + (x1 - x0) * i / 5, yv = y0 + (y1 - y0) * i / 5;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Sx(xv):F1}\" y=\"{h - bottom + 18}\" text-anchor=\"middle\">{Fmt(xv)}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{Sy(yv) + 4:F1}\" text-anchor=\"end\">{Fmt(yv)}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Sy(yv):F1}\" x2=\"{w - right}\" y2=\"{Sy(yv):F1}\" stroke=\"#eee\"/>\n");
        }
        if (y0 < 0 && y1 > 0) sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Sy(0):F1}\" x2=\"{w - right}\" y2=\"{Sy(0):F1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + w - right) / 2}\" y=\"{h - 16}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(20 {(top + h - bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>\n");
        if (fit is { } f && double.IsFinite(f.Slope) && double.IsFinite(f.Intercept))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Sx(x0):F1}\" y1=\"{Sy(Math.Clamp(f.Intercept + f.Slope * x0, y0, y1)):F1}\" x2=\"{Sx(x1):F1}\" y2=\"{Sy(Math.Clamp(f.Intercept + f.Slope * x1, y0, y1)):F1}\" stroke=\"#555\" stroke-width=\"1.5\"/>\n");
        }
        var groups = finite.Select(p => p.Group).Distinct().ToList();
        foreach (var p in finite)
        {
            string c = SvgStyle.Palette[groups.IndexOf(p.Group) % SvgStyle.Palette.Length];
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Sx(p.X):F1}\" cy=\"{Sy(p.Y):F1}\" r=\"5\" fill=\"{c}\" fill-opacity=\"0.8\"><title>{Esc(p.Label)}: ({Fmt(p.X)}, {Fmt(p.Y)})</title></circle>\n");
        }
        for (int g = 0; g < groups.Count; g++)
        {
            double y = top + 10 + g * 18;
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{w - right + 20}\" cy=\"{y}\" r=\"5\" fill=\"{SvgStyle.Palette[g % SvgStyle.Palette.Length]}\"/><text x=\"{w - right + 30}\" y=\"{y + 4}\">{Esc(groups[g])}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static (double Lo, double Hi) Range(IEnumerable<double> values)
    {
        var v = values.ToList();
        if (v.Count == 0) return (0, 1);
        double lo = v.Min(), hi = v.Max();
        double pad = hi > lo ? 0.08 * (hi - lo) : Math.Max(1e-9, Math.Abs(lo) * 0.1 + 1e-9);
        return (lo - pad, hi + pad);
    }

    private static string Fmt(double v) => v.ToString("G3", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SvgStyle.Escape(s);
}

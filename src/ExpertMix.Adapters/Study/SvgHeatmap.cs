// A dependency-free SVG heatmap of a labelled matrix (orthogonality matrices); colours from SvgStyle.
using System.Globalization;
using System.Text;

namespace ExpertMix.Adapters.Study;

/// <summary>Renders a rows × columns matrix as coloured cells (white → blue for v ∈ [min, max]) with values and labels.</summary>
internal static class SvgHeatmap
{
    /// <summary>The SVG document text; NaN cells are grey; the width leaves room for the last column's rotated label.</summary>
    public static string Render(double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels, string title, double min = 0, double max = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(rowLabels);
        ArgumentNullException.ThrowIfNull(columnLabels);
        int rows = values.GetLength(0), cols = values.GetLength(1);
        if (rowLabels.Count != rows || columnLabels.Count != cols) throw new ArgumentException($"labels ({rowLabels.Count}×{columnLabels.Count}) do not match the matrix ({rows}×{cols})");
        const int cell = 56, left = 170, top = 130;
        // The last column's label is rotated by −45° from the cell centre: ≈ 0.71 × 7 px per character to the right.
        int labelRoom = cols == 0 ? 0 : (cell / 2) + (5 * columnLabels.Max(l => l.Length)) + 10;
        int w = left + Math.Max(cols * cell + 20, ((cols - 1) * cell) + labelRoom), h = top + rows * cell + 20;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n<text x=\"10\" y=\"20\" font-size=\"14\">{Esc(title)}</text>\n");
        for (int j = 0; j < cols; j++)
        {
            double x = left + j * cell + cell / 2.0;
            sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate({x} {top - 6}) rotate(-45)\">{Esc(columnLabels[j])}</text>\n");
        }
        for (int i = 0; i < rows; i++)
        {
            double y = top + i * cell;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y + cell / 2.0 + 4}\" text-anchor=\"end\">{Esc(rowLabels[i])}</text>\n");
            for (int j = 0; j < cols; j++)
            {
                double v = values[i, j];
                double t = double.IsFinite(v) ? Math.Clamp((v - min) / (max - min), 0, 1) : double.NaN;
                string fill = SvgStyle.Ramp(t);
                double x = left + j * cell;
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"white\"><title>{Esc(rowLabels[i])} × {Esc(columnLabels[j])}: {v.ToString("G6", CultureInfo.InvariantCulture)}</title></rect>\n");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + cell / 2.0}\" y=\"{y + cell / 2.0 + 4}\" text-anchor=\"middle\" fill=\"{(t > 0.6 ? "white" : "black")}\">{v.ToString("G2", CultureInfo.InvariantCulture)}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Esc(string s) => SvgStyle.Escape(s);
}

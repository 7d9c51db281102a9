// A self-contained SVG of one sequence's X-LoRA scalings: a heatmap per expert, the dominant expert, the mean over tokens.
using System.Globalization;
using System.Text;
using ExpertMix.Adapters.Study;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// Renders λ of one sequence (prompt + generated tokens of one batch row, <see cref="XLoraScalingsSequence"/>) as SVG:
/// one panel per expert i with tokens on x (labels rotated, whitespace made visible by
/// <see cref="XLoraScalingsLabels.VisibleToken"/>) and modules on y (<see cref="XLoraScalingsLabels.ShortModules"/>),
/// coloured by λ on a 0..1 white → blue scale with a legend; a "dominant expert" panel coloured by
/// argmax_i λ[t, ℓ, i] (categorical colours, legend naming the experts); and a "mean over tokens" panel
/// [L × n] = (1/T)·Σ_t λ[t, ℓ, i]. When the sequence or the module list exceeds the caps in
/// <see cref="XLoraScalingsSvgOptions"/>, consecutive tokens / modules are averaged in bins (the dominant expert is then
/// the argmax of the bin mean) and the title says so. Cells carry <c>data-col</c>/<c>data-row</c> and a tooltip.
/// </summary>
internal static class XLoraScalingsSvg
{
    private const string Ramp = "xlora-ramp";

    /// <summary>The SVG of batch row <see cref="XLoraScalingsSvgOptions.BatchRow"/> across <paramref name="entries"/> (positions merged, see <see cref="XLoraScalingsSequence.Build"/>).</summary>
    /// <exception cref="ArgumentException">An entry does not fit <paramref name="labels"/>, or there are no tokens.</exception>
    public static string Render(IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels, XLoraScalingsSvgOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(labels);
        options ??= new XLoraScalingsSvgOptions();
        options.Validate();
        return Render(XLoraScalingsSequence.Build(entries, labels, options.BatchRow), labels, options);
    }

    /// <summary>The SVG of <paramref name="sequence"/> (its layout is [T, L, n] with L and n from <paramref name="labels"/>).</summary>
    /// <exception cref="ArgumentException">The sequence is empty or does not match the labels.</exception>
    public static string Render(XLoraScalingsSequence sequence, XLoraScalingsLabels labels, XLoraScalingsSvgOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(labels);
        options ??= new XLoraScalingsSvgOptions();
        options.Validate();
        int len = sequence.Length, l = labels.ModuleCount, n = labels.AdapterCount;
        if (len == 0) throw new ArgumentException("X-LoRA scalings plot: the sequence has no tokens");
        if (sequence.Layers != l || sequence.Experts != n || sequence.Values.Length != (long)len * l * n)
        {
            throw new ArgumentException($"X-LoRA scalings plot: the sequence is [T={len}, L={sequence.Layers}, n={sequence.Experts}] but the labels name {l} modules and {n} adapters");
        }
        var (tb, lb) = Bins(len, l, n, options);
        var grid = new Grid(sequence, tb, lb);
        var rowLabels = RowLabels(labels.ShortModules(), lb, grid.Rows);
        var colLabels = Enumerable.Range(0, grid.Cols).Select(c => ColumnLabel(sequence, c, tb, options.MaxLabelLength)).ToArray();
        var colTips = Enumerable.Range(0, grid.Cols).Select(c => ColumnTip(sequence, c, tb)).ToArray();
        var colours = Enumerable.Range(0, n).Select(i => SvgStyle.Categorical(i, n)).ToArray();

        var notes = new List<string>();
        if (tb > 1) notes.Add($"tokens averaged in bins of {tb}");
        if (lb > 1) notes.Add($"modules averaged in bins of {lb}");
        bool gaps = sequence.Positions[^1] - sequence.Positions[0] + 1 != len;
        string details = string.Create(CultureInfo.InvariantCulture,
            $"batch row {options.BatchRow}, {len} tokens (positions {sequence.Positions[0]}–{sequence.Positions[^1]}{(gaps ? ", with gaps" : "")}), {l} modules, {n} experts")
            + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "");
        string heading = options.Title ?? "X-LoRA scalings λ";
        string title = heading + " — " + details;

        var g = new Geometry(grid.Cols, grid.Rows, rowLabels, colLabels, labels.Adapters);
        var sb = new StringBuilder();
        int panels = n + 2;
        double height = g.Top + (n + 1) * g.PanelHeight + g.MeanPanelHeight + 20;
        double width = Math.Max(g.Left + g.GridWidth + 260, g.Left + n * g.MeanCell + 260);
        Append(sb, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:F0}\" height=\"{height:F0}\" viewBox=\"0 0 {width:F0} {height:F0}\" font-family=\"sans-serif\" font-size=\"10\" data-panels=\"{panels}\">\n");
        Append(sb, $"<title>{SvgStyle.Escape(title)}</title>\n");
        Append(sb, $"<defs><linearGradient id=\"{Ramp}\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\"><stop offset=\"0\" stop-color=\"{SvgStyle.RampLow}\"/><stop offset=\"1\" stop-color=\"{SvgStyle.RampHigh}\"/></linearGradient></defs>\n");
        Append(sb, $"<rect width=\"{width:F0}\" height=\"{height:F0}\" fill=\"white\"/>\n");
        Append(sb, $"<text x=\"10\" y=\"20\" font-size=\"14\">{SvgStyle.Escape(heading)}</text>\n");
        Append(sb, $"<text x=\"10\" y=\"38\" font-size=\"10\" fill=\"#444\">{SvgStyle.Escape(details)}</text>\n");

        for (int i = 0; i < n; i++)
        {
            double y0 = g.Top + i * g.PanelHeight;
            Append(sb, $"<g id=\"expert-{i}\" class=\"expert\">\n<text x=\"{g.Left}\" y=\"{y0 + 13:F1}\" font-size=\"12\">λ of expert {SvgStyle.Escape(labels.Adapters[i])}</text>\n");
            AxisLabels(sb, g, y0 + 20, rowLabels, colLabels);
            for (int c = 0; c < grid.Cols; c++)
            {
                for (int r = 0; r < grid.Rows; r++)
                {
                    double v = grid.Value(c, r, i);
                    string tip = $"{colTips[c]} · {rowLabels[r]} · {labels.Adapters[i]}: {v.ToString("F4", CultureInfo.InvariantCulture)}";
                    Cell(sb, g.Left + c * g.CellWidth, y0 + 20 + r * g.CellHeight, g.CellWidth, g.CellHeight, SvgStyle.Ramp(Unit(v)), c, r, tip);
                }
            }
            sb.Append("</g>\n");
            if (i == 0) ScaleLegend(sb, g.Left + g.GridWidth + 24, y0 + 20, Math.Clamp(g.GridHeight, 60, 160));
        }

        double yd = g.Top + n * g.PanelHeight;
        Append(sb, $"<g id=\"dominant\">\n<text x=\"{g.Left}\" y=\"{yd + 13:F1}\" font-size=\"12\">Dominant expert (argmax_i λ{(tb > 1 || lb > 1 ? " of the bin mean" : "")})</text>\n");
        AxisLabels(sb, g, yd + 20, rowLabels, colLabels);
        for (int c = 0; c < grid.Cols; c++)
        {
            for (int r = 0; r < grid.Rows; r++)
            {
                int d = grid.Dominant(c, r);
                string tip = $"{colTips[c]} · {rowLabels[r]}: {labels.Adapters[d]} (λ = {grid.Value(c, r, d).ToString("F4", CultureInfo.InvariantCulture)})";
                Cell(sb, g.Left + c * g.CellWidth, yd + 20 + r * g.CellHeight, g.CellWidth, g.CellHeight, colours[d], c, r, tip);
            }
        }
        sb.Append("</g>\n<g id=\"dominant-legend\">\n");
        for (int i = 0; i < n; i++)
        {
            double x = g.Left + g.GridWidth + 24, y = yd + 20 + i * 16;
            Append(sb, $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"12\" height=\"12\" fill=\"{colours[i]}\" data-expert=\"{SvgStyle.Escape(labels.Adapters[i])}\"/>");
            Append(sb, $"<text x=\"{x + 18:F1}\" y=\"{y + 10:F1}\">{SvgStyle.Escape(labels.Adapters[i])}</text>\n");
        }
        sb.Append("</g>\n");

        double ym = g.Top + (n + 1) * g.PanelHeight;
        Append(sb, $"<g id=\"mean\">\n<text x=\"{g.Left}\" y=\"{ym + 13:F1}\" font-size=\"12\">Mean over tokens (1/T)·Σ_t λ</text>\n");
        for (int r = 0; r < grid.Rows; r++)
        {
            Append(sb, $"<text x=\"{g.Left - 6}\" y=\"{ym + 20 + r * g.CellHeight + g.CellHeight * 0.75:F1}\" text-anchor=\"end\" font-size=\"{g.RowFont}\">{SvgStyle.Escape(rowLabels[r])}</text>\n");
            for (int i = 0; i < n; i++)
            {
                double v = grid.Mean(r, i), x = g.Left + i * g.MeanCell, y = ym + 20 + r * g.CellHeight;
                string tip = $"{rowLabels[r]} · {labels.Adapters[i]}: mean λ = {v.ToString("F4", CultureInfo.InvariantCulture)}";
                Cell(sb, x, y, g.MeanCell, g.CellHeight, SvgStyle.Ramp(Unit(v)), i, r, tip);
                if (g.CellHeight >= 14)
                {
                    Append(sb, $"<text x=\"{x + g.MeanCell / 2:F1}\" y=\"{y + 10:F1}\" text-anchor=\"middle\" font-size=\"8\" fill=\"{(Unit(v) > 0.6 ? "white" : "black")}\">{v.ToString("F2", CultureInfo.InvariantCulture)}</text>\n");
                }
            }
        }
        double yb = ym + 20 + grid.Rows * g.CellHeight + 4;
        for (int i = 0; i < n; i++)
        {
            double x = g.Left + i * g.MeanCell + g.MeanCell / 2 + 3;
            Append(sb, $"<text transform=\"translate({x:F1} {yb:F1}) rotate(-90)\" text-anchor=\"end\">{SvgStyle.Escape(labels.Adapters[i])}</text>\n");
        }
        sb.Append("</g>\n</svg>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The token and module bin sizes (tb, lb): tb = ⌈T / MaxTokens⌉, lb = ⌈L / MaxModules⌉, then whichever of
    /// ⌈T/tb⌉, ⌈L/lb⌉ is larger grows its bin by one until ⌈T/tb⌉·⌈L/lb⌉·(n + 1) ≤ MaxCells.
    /// </summary>
    public static (int TokenBin, int ModuleBin) Bins(int tokens, int modules, int experts, XLoraScalingsSvgOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int tb = Math.Max(1, Ceil(tokens, options.MaxTokens)), lb = Math.Max(1, Ceil(modules, options.MaxModules));
        while ((long)Ceil(tokens, tb) * Ceil(modules, lb) * (experts + 1) > options.MaxCells && (Ceil(tokens, tb) > 1 || Ceil(modules, lb) > 1))
        {
            if (Ceil(tokens, tb) >= Ceil(modules, lb)) tb++;
            else lb++;
        }
        return (tb, lb);
    }

    private static int Ceil(int a, int b) => (a + b - 1) / b;

    private static double Unit(double v) => double.IsFinite(v) ? Math.Clamp(v, 0, 1) : double.NaN;

    private static void Append(StringBuilder sb, FormattableString s) => sb.Append(s.ToString(CultureInfo.InvariantCulture));

    private static void Cell(StringBuilder sb, double x, double y, double w, double h, string fill, int col, int row, string tip) =>
        Append(sb, $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"{w:F1}\" height=\"{h:F1}\" fill=\"{fill}\" data-col=\"{col}\" data-row=\"{row}\"><title>{SvgStyle.Escape(tip)}</title></rect>\n");

    private static void AxisLabels(StringBuilder sb, Geometry g, double y0, string[] rowLabels, string[] colLabels)
    {
        for (int r = 0; r < rowLabels.Length; r++)
        {
            Append(sb, $"<text x=\"{g.Left - 6}\" y=\"{y0 + r * g.CellHeight + g.CellHeight * 0.75:F1}\" text-anchor=\"end\" font-size=\"{g.RowFont}\">{SvgStyle.Escape(rowLabels[r])}</text>\n");
        }
        double yb = y0 + g.GridHeight + 4;
        for (int c = 0; c < colLabels.Length; c++)
        {
            double x = g.Left + c * g.CellWidth + g.CellWidth / 2 + g.ColumnFont / 3.0;
            Append(sb, $"<text class=\"token\" transform=\"translate({x:F1} {yb:F1}) rotate(-90)\" text-anchor=\"end\" font-size=\"{g.ColumnFont}\">{SvgStyle.Escape(colLabels[c])}</text>\n");
        }
    }

    private static void ScaleLegend(StringBuilder sb, double x, double y, double h)
    {
        Append(sb, $"<g id=\"scale\"><text x=\"{x:F1}\" y=\"{y - 4:F1}\">λ</text><rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"14\" height=\"{h:F1}\" fill=\"url(#{Ramp})\" stroke=\"#999\"/>");
        foreach (var (v, label) in new[] { (1.0, "1"), (0.5, "0.5"), (0.0, "0") })
        {
            double yy = y + (1 - v) * h;
            Append(sb, $"<line x1=\"{x + 14:F1}\" y1=\"{yy:F1}\" x2=\"{x + 18:F1}\" y2=\"{yy:F1}\" stroke=\"#555\"/><text x=\"{x + 21:F1}\" y=\"{yy + 3.5:F1}\">{label}</text>");
        }
        sb.Append("</g>\n");
    }

    private static string[] RowLabels(IReadOnlyList<string> shortNames, int lb, int rows) =>
        [.. Enumerable.Range(0, rows).Select(r =>
        {
            int a = r * lb, b = Math.Min(shortNames.Count, a + lb) - 1;
            return a == b ? shortNames[a] : $"{shortNames[a]}–{shortNames[b]}";
        })];

    private static string ColumnLabel(XLoraScalingsSequence s, int c, int tb, int max)
    {
        string label = Cut(XLoraScalingsLabels.VisibleToken(s.TokenTexts[c * tb]), max);
        return tb == 1 || c * tb + 1 >= s.Length ? label : label + "…";
    }

    private static string ColumnTip(XLoraScalingsSequence s, int c, int tb)
    {
        int a = c * tb, b = Math.Min(s.Length, a + tb) - 1;
        return a == b
            ? string.Create(CultureInfo.InvariantCulture, $"pos {s.Positions[a]} '{XLoraScalingsLabels.VisibleToken(s.TokenTexts[a])}'")
            : string.Create(CultureInfo.InvariantCulture, $"pos {s.Positions[a]}–{s.Positions[b]}");
    }

    private static string Cut(string s, int max)
    {
        var e = StringInfo.GetTextElementEnumerator(s);
        var sb = new StringBuilder();
        int k = 0;
        while (e.MoveNext())
        {
            if (k++ == max) return sb.Append('…').ToString();
            sb.Append(e.GetTextElement());
        }
        return sb.ToString();
    }

    /// <summary>λ averaged over token bins (columns) and module bins (rows); the per-module-bin mean over all tokens.</summary>
    private sealed class Grid
    {
        private readonly double[] _cells;                                                    // [Cols, Rows, n]
        private readonly double[] _mean;                                                     // [Rows, n]
        private readonly int _n;

        public Grid(XLoraScalingsSequence s, int tb, int lb)
        {
            _n = s.Experts;
            Cols = Ceil(s.Length, tb);
            Rows = Ceil(s.Layers, lb);
            _cells = new double[(long)Cols * Rows * _n];
            _mean = new double[Rows * _n];
            for (int c = 0; c < Cols; c++)
            {
                int t0 = c * tb, t1 = Math.Min(s.Length, t0 + tb);
                for (int r = 0; r < Rows; r++)
                {
                    int l0 = r * lb, l1 = Math.Min(s.Layers, l0 + lb);
                    for (int i = 0; i < _n; i++)
                    {
                        double sum = 0;
                        for (int t = t0; t < t1; t++)
                        {
                            for (int layer = l0; layer < l1; layer++) sum += s.At(t, layer, i);
                        }
                        _cells[(c * Rows + r) * _n + i] = sum / ((t1 - t0) * (l1 - l0));
                        _mean[r * _n + i] += sum / ((double)s.Length * (l1 - l0));
                    }
                }
            }
        }

        public int Cols { get; }

        public int Rows { get; }

        public double Value(int c, int r, int i) => _cells[(c * Rows + r) * _n + i];

        public double Mean(int r, int i) => _mean[r * _n + i];

        public int Dominant(int c, int r)
        {
            int best = 0;
            for (int i = 1; i < _n; i++)
            {
                double v = Value(c, r, i), w = Value(c, r, best);
                if (v > w || (double.IsNaN(w) && !double.IsNaN(v))) best = i;
            }
            return best;
        }
    }

    /// <summary>Cell sizes, margins and panel heights derived from the grid and its labels.</summary>
    private sealed class Geometry
    {
        public Geometry(int cols, int rows, string[] rowLabels, string[] colLabels, IReadOnlyList<string> adapters)
        {
            CellWidth = cols <= 80 ? 14 : 9;
            CellHeight = rows <= 40 ? 14 : 9;
            ColumnFont = CellWidth >= 14 ? 10 : 8;
            RowFont = CellHeight >= 14 ? 10 : 8;
            Left = 16 + Math.Max(60, rowLabels.Max(s => s.Length) * RowFont * 0.62);
            GridWidth = cols * CellWidth;
            GridHeight = rows * CellHeight;
            double tokenLabels = colLabels.Max(s => s.Length) * ColumnFont * 0.62 + 10;
            PanelHeight = 20 + GridHeight + tokenLabels + 14;
            MeanPanelHeight = 20 + GridHeight + adapters.Max(s => s.Length) * 6.2 + 14;
        }

        public double Top => 52;

        public double Left { get; }

        public double CellWidth { get; }

        public double CellHeight { get; }

        public double MeanCell => 36;

        public int ColumnFont { get; }

        public int RowFont { get; }

        public double GridWidth { get; }

        public double GridHeight { get; }

        public double PanelHeight { get; }

        public double MeanPanelHeight { get; }
    }
}

// index.html of the demo report: an XHTML-compatible page with the tables, the linked SVGs and a note per section.
using System.Globalization;
using System.Text;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Study;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// Renders the report page. The page is well-formed XML (XHTML namespace, every element closed, text escaped with
/// <see cref="SvgStyle.Escape"/>), uses inline CSS only and refers to nothing but the report's own files by relative path,
/// so it opens offline.
/// </summary>
internal static class DemoHtml
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0.2em; }
        section { margin-top: 2.2em; }
        p.note { color: #444; max-width: 60em; }
        table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        thead th { background: #f3f3f3; }
        td.best { font-weight: bold; }
        td.na { color: #999; text-align: center; }
        figure { margin: 0.8em 0; overflow-x: auto; }
        figure img { max-width: 100%; border: 1px solid #eee; }
        code { background: #f5f5f5; padding: 0 0.2em; }

        """;

    /// <summary>The page for <paramref name="results"/>; <paramref name="files"/> says which optional SVGs were written.</summary>
    public static string Render(DemoResults results, DemoReportFiles files)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>ExpertMix demo report</title>\n");
        sb.Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n<h1>ExpertMix demo</h1>\n");
        NoteHtml(sb, "LoRA experts trained one per domain, merged statically, mixed per token by an X-LoRA gate, and adapted per prompt by "
            + "Transformer² over SVF experts — all on the same base model and evaluated on the same held-out questions. "
            + $"The numbers are also in <a href=\"{DemoReportWriter.ResultsJsonFile}\">{DemoReportWriter.ResultsJsonFile}</a>.");
        Run(sb, results);
        Results(sb, results);
        if (results.Dispatch.Count > 0) Dispatch(sb, results.Dispatch);
        if (results.Scalings is { } scalings) Scalings(sb, scalings);
        if (results.Orthogonality is { } orthogonality) Orthogonality(sb, orthogonality);
        if (results.Interference.Count > 0) Interference(sb, results.Interference);
        if (files.TrainingCurves is not null) Curves(sb, results.Curves);
        Timings(sb, results);
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    private static void Run(StringBuilder sb, DemoResults r)
    {
        Section(sb, "run", "Run");
        Note(sb, "What ran, and where. Every phase derives its randomness from the seed, so the same seed, mode and machine give the "
            + "same numbers; quick mode trains on a small slice of each domain for a few steps, full mode runs the whole recipe.");
        sb.Append("<table class=\"facts\">\n<tbody>\n");
        Fact(sb, "mode", r.Run.Mode.ToString().ToLowerInvariant());
        Fact(sb, "seed", r.Run.Seed.ToString(CultureInfo.InvariantCulture));
        Fact(sb, "base model", r.Run.BaseModel);
        Fact(sb, "machine", r.Run.Machine);
        Fact(sb, "threads", r.Run.Threads.ToString(CultureInfo.InvariantCulture));
        Fact(sb, "evaluation sets", string.Join(", ", r.EvaluationSets));
        Fact(sb, "total time", Seconds(r.TotalSeconds));
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Results(StringBuilder sb, DemoResults r)
    {
        Section(sb, "results", "Results");
        Note(sb, "Each method answers the held-out questions of every domain and of the cross-domain set. Accuracy is k/n with its "
            + "Wilson 95% score interval (bars and whiskers in the chart): intervals that overlap mean the difference may be noise. "
            + "Perplexity (PPL) is exp of the mean per-token negative log-likelihood of the reference answers; lower is better. "
            + "base = the untouched model; expert:D = one LoRA expert trained on domain D; merge:M = the experts combined into one "
            + "delta with method M (naive-sum adds the deltas exactly, cat concatenates the ranks — the same function — and TIES "
            + "trims, elects a sign per weight and averages the agreeing values); xlora = a gate that mixes the experts per token "
            + "and layer; svf:D and t2:S = Transformer² singular-value experts, chosen or mixed per prompt by strategy S. "
            + "The best accuracy per set is in bold.");
        Figure(sb, DemoReportWriter.ResultsSvgFile, "Grouped bar chart of accuracy per method and evaluation set with 95% intervals");
        var best = r.EvaluationSets.ToDictionary(s => s, s => r.Rows.Select(x => x.Score(s)).Where(x => x is { HasAccuracy: true }).Select(x => x!.Interval.Accuracy).DefaultIfEmpty(double.NaN).Max());
        sb.Append("<table class=\"results\">\n<thead>\n<tr><th rowspan=\"2\">method</th>");
        foreach (var s in r.EvaluationSets) sb.Append(CultureInfo.InvariantCulture, $"<th colspan=\"2\">{E(s)}</th>");
        sb.Append("</tr>\n<tr>");
        foreach (var _ in r.EvaluationSets) sb.Append("<th>acc % [95% CI]</th><th>PPL</th>");
        sb.Append("</tr>\n</thead>\n<tbody>\n");
        foreach (var row in r.Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(row.Method)}</td>");
            foreach (var set in r.EvaluationSets)
            {
                var s = row.Score(set);
                if (s is { HasAccuracy: true })
                {
                    var ci = s.Interval;
                    string cls = ci.Accuracy == best[set] ? " class=\"best\"" : "";
                    sb.Append(CultureInfo.InvariantCulture, $"<td{cls} title=\"{s.Correct}/{s.Total}\">{DemoFormat.Accuracy(ci)}</td>");
                }
                else
                {
                    sb.Append("<td class=\"na\">–</td>");
                }
                sb.Append(s?.Perplexity is { } p ? $"<td>{DemoFormat.Perplexity(p)}</td>" : "<td class=\"na\">–</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Dispatch(StringBuilder sb, IReadOnlyList<DemoDispatch> dispatchers)
    {
        Section(sb, "dispatch", "Transformer² dispatch");
        Note(sb, "Where each first pass sent the test questions: rows are evaluation sets, columns the label it chose (a domain's SVF expert, "
            + "or other = the base weights). prompt = the base model classifies in a chat and its \\boxed{…} answer is parsed; label-score = "
            + "the base model's likelihood of each label after \"Classification: \\boxed{\"; classifier-score = the same likelihoods under an "
            + "SVF classification expert trained on the training questions' domains. Accuracy counts the domain sets' questions sent to their own "
            + "domain (the cross-domain set has no single true label), with the Wilson 95% interval.");
        foreach (var d in dispatchers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<h3>{E(d.Method)}: dispatch accuracy {DemoFormat.Percent(d.Interval)} ({d.Correct}/{d.Total})</h3>\n");
            sb.Append("<table class=\"dispatch\">\n<thead>\n<tr><th>set \\ dispatched</th>");
            foreach (var l in d.Labels) sb.Append(CultureInfo.InvariantCulture, $"<th>{E(l)}</th>");
            sb.Append("</tr>\n</thead>\n<tbody>\n");
            foreach (var row in d.Rows)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(row.EvaluationSet)}</td>");
                for (int i = 0; i < d.Labels.Count; i++)
                {
                    string cls = d.Labels[i] == row.EvaluationSet ? " class=\"best\"" : "";
                    sb.Append(CultureInfo.InvariantCulture, $"<td{cls}>{row.Counts[i]}</td>");
                }
                sb.Append("</tr>\n");
            }
            sb.Append("</tbody>\n</table>\n");
        }
        sb.Append("</section>\n");
    }

    private static void Scalings(StringBuilder sb, DemoScalings scalings)
    {
        Section(sb, "scalings", "Which expert fires where (X-LoRA)");
        Note(sb, "The X-LoRA gate's scaling λ for every token (x), adapted module (y) and expert (one panel each) on a question that "
            + "needs more than one domain. The dominant-expert panel colours each cell by the expert with the largest λ; the last "
            + "panel averages over tokens. Question:");
        sb.Append(CultureInfo.InvariantCulture, $"<blockquote><p>{E(scalings.Prompt)}</p></blockquote>\n");
        Figure(sb, DemoReportWriter.ScalingsSvgFile, "Heatmap of X-LoRA scalings per token, layer and expert");
        sb.Append("</section>\n");
    }

    private static void Orthogonality(StringBuilder sb, DemoOrthogonality o)
    {
        Section(sb, "orthogonality", "Orthogonality of the experts");
        NoteHtml(sb, "Cosine of two experts' effective weight deltas ΔW = s·B·A per adapted module, aggregated as the RMS over the L modules "
            + "both adapt: 0 means orthogonal (their sum does not interfere), 1 identical. ×floor divides by E|cos| of random deltas "
            + "of the same shapes, √(2/π)/√(mn): values near 1 are as orthogonal as chance. The global cosine weights modules by "
            + "their norms and keeps the sign; the subspace overlaps compare the column spaces of B and the row spaces of A. "
            + "The same numbers as <code>expertmix lora analyze</code>.");
        Figure(sb, DemoReportWriter.OrthogonalitySvgFile, "Heatmap of RMS cosines between the experts");
        sb.Append("<table class=\"orthogonality\">\n<thead>\n<tr><th>pair</th><th>L</th><th>RMS cos</th><th>×floor</th><th>global cos</th>"
            + "<th>mean signed cos</th><th>col(B) overlap</th><th>row(A) overlap</th></tr>\n</thead>\n<tbody>\n");
        foreach (PairOrthogonality p in o.CrossPairs)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(p.AdapterI)} × {E(p.AdapterJ)}</td><td>{p.CommonModules}</td><td>{G(p.RmsCosine)}</td>"
                + $"<td>{G(p.RmsToFloor)}</td><td>{G(p.GlobalCosine)}</td><td>{G(p.MeanSignedCosine)}</td><td>{G(p.MeanColumnSpaceOverlap)}</td>"
                + $"<td>{G(p.MeanRowSpaceOverlap)}</td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Interference(StringBuilder sb, IReadOnlyList<DemoInterference> points)
    {
        Section(sb, "interference", "Predicted vs measured interference");
        var fit = DemoCharts.InterferenceFit(points);
        Note(sb, "Does orthogonality predict what merging costs? Each point is one merge: x is the RMS cosine of the merged experts "
            + "(the prediction, known before merging), y the measured change in perplexity of the merge against its reference "
            + "(ΔPPL% = 100·(PPL_merge − PPL_reference)/PPL_reference; above 0 is worse). "
            + (double.IsFinite(fit.Pearson)
                ? string.Create(CultureInfo.InvariantCulture, $"Over {fit.N} points Pearson r = {G(fit.Pearson)} and the least-squares slope is {G(fit.Slope)} %-points per unit cosine; with this few points it is descriptive only.")
                : "There are too few distinct points for a correlation."));
        Figure(sb, DemoReportWriter.InterferenceSvgFile, "Scatter of measured perplexity change against RMS cosine per merge");
        sb.Append("<table class=\"interference\">\n<thead>\n<tr><th>domains</th><th>merge</th><th>reference</th><th>predicted: RMS cos</th><th>measured: ΔPPL%</th></tr>\n</thead>\n<tbody>\n");
        foreach (var x in points)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(x.Label)}</td><td>{E(x.Method)}</td><td>{E(x.Reference)}</td><td>{G(x.RmsCosine)}</td><td>{DemoFormat.SignedPercent(x.MeasuredPercent)}</td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Curves(StringBuilder sb, IReadOnlyList<DemoCurve> curves)
    {
        Section(sb, "training", "Training curves");
        Note(sb, "Training loss per optimizer step for each training phase (LoRA experts, the X-LoRA gate, SVF experts); dashed lines "
            + "with dots are validation losses. A curve that flattens has converged; a validation curve that rises while training "
            + "loss falls is overfitting.");
        Figure(sb, DemoReportWriter.TrainingCurvesSvgFile, "Line chart of loss against step per training phase");
        sb.Append("<table class=\"curves\">\n<thead>\n<tr><th>phase</th><th>steps</th><th>first loss</th><th>last loss</th><th>best validation loss</th></tr>\n</thead>\n<tbody>\n");
        foreach (var c in curves)
        {
            var finite = c.Points.Where(p => double.IsFinite(p.TrainLoss)).ToList();
            var validation = c.Points.Where(p => p.ValidationLoss is { } v && double.IsFinite(v)).Select(p => p.ValidationLoss!.Value).ToList();
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(c.Phase)}</td><td>{(c.Points.Count > 0 ? c.Points[^1].Step : 0)}</td>"
                + $"<td>{(finite.Count > 0 ? G(finite[0].TrainLoss) : "–")}</td><td>{(finite.Count > 0 ? G(finite[^1].TrainLoss) : "–")}</td>"
                + $"<td>{(validation.Count > 0 ? G(validation.Min()) : "–")}</td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Timings(StringBuilder sb, DemoResults r)
    {
        Section(sb, "timings", "Timings");
        Note(sb, "Wall-clock time per phase of the pipeline, and its share of the total.");
        sb.Append("<table class=\"timings\">\n<thead>\n<tr><th>phase</th><th>time</th><th>share</th></tr>\n</thead>\n<tbody>\n");
        double total = r.TotalSeconds;
        foreach (var t in r.Timings)
        {
            string share = total > 0 ? (100 * t.Seconds / total).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(t.Phase)}</td><td>{Seconds(t.Seconds)}</td><td>{share}</td></tr>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<tr><th>total</th><th>{Seconds(total)}</th><th>100%</th></tr>\n");
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void Section(StringBuilder sb, string id, string title) => sb.Append(CultureInfo.InvariantCulture, $"<section id=\"{id}\">\n<h2>{E(title)}</h2>\n");

    private static void Note(StringBuilder sb, string text) => NoteHtml(sb, E(text));

    private static void NoteHtml(StringBuilder sb, string html) => sb.Append("<p class=\"note\">").Append(html).Append("</p>\n");

    private static void Figure(StringBuilder sb, string file, string alt) =>
        sb.Append(CultureInfo.InvariantCulture, $"<figure><a href=\"{file}\"><img src=\"{file}\" alt=\"{E(alt)}\"/></a></figure>\n");

    private static void Fact(StringBuilder sb, string key, string value) => sb.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(key)}</th><td>{E(value)}</td></tr>\n");

    private static string Seconds(double s) => DemoFormat.Seconds(s);

    private static string G(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "–";

    private static string E(string s) => SvgStyle.Escape(s);
}

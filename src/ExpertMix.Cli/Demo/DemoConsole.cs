// The demo's console output: one Spectre results table, or one JSON object with the same numbers (`--json`).
using System.Globalization;
using Spectre.Console;

namespace ExpertMix.Cli.Demo;

/// <summary>How <see cref="DemoConsole.Write"/> prints.</summary>
internal enum DemoOutputFormat
{
    /// <summary>A Spectre table.</summary>
    Table,

    /// <summary>One compact JSON object (<see cref="DemoConsole.SummaryJson"/>).</summary>
    Json,
}

/// <summary>Prints the results of <c>expertmix demo</c>.</summary>
internal static class DemoConsole
{
    /// <summary>Columns the table may use when it is not written to a terminal (a file or a pipe), so cells do not wrap.</summary>
    public const int RedirectedWidth = 240;

    /// <summary>
    /// One row per method and, per evaluation set, a column "acc % [95% CI]" (100·k/n with the Wilson interval, "–" when not
    /// scored) and a column "PPL" (perplexity, "–" when not measured); the best accuracy per set is bold. The caption gives
    /// the mode, seed and total time.
    /// </summary>
    public static Table RenderTable(DemoResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var table = new Table().Border(TableBorder.Rounded)
            .Title(Markup.Escape($"ExpertMix demo ({results.Run.Mode.ToString().ToLowerInvariant()}, seed {results.Run.Seed.ToString(CultureInfo.InvariantCulture)})"))
            .Caption(Markup.Escape($"acc % = 100·k/n [Wilson 95% interval]; PPL = perplexity; total {DemoFormat.Seconds(results.TotalSeconds)}"));
        table.AddColumn("method");
        foreach (var set in results.EvaluationSets)
        {
            table.AddColumn(new TableColumn(Markup.Escape($"{set}\nacc % [95% CI]")).RightAligned());
            table.AddColumn(new TableColumn(Markup.Escape($"{set}\nPPL")).RightAligned());
        }
        var best = results.EvaluationSets.Select(set => results.Rows.Select(r => r.Score(set)).Where(s => s is { HasAccuracy: true })
            .Select(s => s!.Interval.Accuracy).DefaultIfEmpty(double.NaN).Max()).ToArray();
        foreach (var row in results.Rows)
        {
            var cells = new List<string> { Markup.Escape(row.Method) };
            for (int j = 0; j < results.EvaluationSets.Count; j++)
            {
                var s = row.Score(results.EvaluationSets[j]);
                if (s is { HasAccuracy: true })
                {
                    string text = Markup.Escape(DemoFormat.Accuracy(s.Interval));
                    cells.Add(s.Interval.Accuracy == best[j] ? $"[bold]{text}[/]" : text);
                }
                else
                {
                    cells.Add("–");
                }
                cells.Add(s?.Perplexity is { } p ? DemoFormat.Perplexity(p) : "–");
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }

    /// <summary>
    /// One line per Transformer² dispatcher: "dispatch t2:S: A% [L–H] of the domain questions sent to their domain
    /// (k/n); labels: l₁ a, l₂ b, …" with the per-label counts over every set.
    /// </summary>
    public static IEnumerable<string> DispatchLines(DemoResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (var d in results.Dispatch)
        {
            var perLabel = d.Labels.Select((l, i) => $"{l} {d.Rows.Sum(r => r.Counts[i]).ToString(CultureInfo.InvariantCulture)}");
            yield return $"dispatch {d.Method}: {DemoFormat.Percent(d.Interval)} of the domain questions sent to their domain ({d.Correct.ToString(CultureInfo.InvariantCulture)}/{d.Total.ToString(CultureInfo.InvariantCulture)}); dispatched: {string.Join(", ", perLabel)}";
        }
    }

    /// <summary>
    /// The console's JSON form, one compact object: <c>run</c>, <c>evaluation_sets</c>, <c>rows</c> (each score with its
    /// <c>interval</c> {accuracy, low, high}), <c>timings</c>, <c>total_seconds</c> and <c>report</c> (the index.html path, or
    /// null). Curves, orthogonality and the scalings heatmap are in results.json only.
    /// </summary>
    public static string SummaryJson(DemoResults results, DemoReportFiles? files = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        var summary = new DemoSummary(results.Run, results.EvaluationSets, results.Rows, results.Timings, results.TotalSeconds, files?.Index);
        return DemoJson.SerializeSummary(summary, DemoJsonLayout.Compact);
    }

    /// <summary>
    /// Writes <see cref="RenderTable"/> (and where the report is) or <see cref="SummaryJson"/> to <paramref name="output"/>; a
    /// table that does not go to a terminal is laid out <see cref="RedirectedWidth"/> columns wide, without colours or styles.
    /// </summary>
    public static void Write(DemoResults results, TextWriter output, DemoOutputFormat format, DemoReportFiles? files = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(output);
        if (format == DemoOutputFormat.Json)
        {
            output.WriteLine(SummaryJson(results, files));
            return;
        }
        bool redirected = !ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected) console.Profile.Width = RedirectedWidth;
        console.Write(RenderTable(results));
        foreach (string line in DispatchLines(results)) console.WriteLine(line);
        if (files is not null) console.WriteLine($"Report: {files.Index}");
    }
}

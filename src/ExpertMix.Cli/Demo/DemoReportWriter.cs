// Writes demo-report/: index.html, the SVG charts and results.json, each file atomically.
using System.Text;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Demo;

/// <summary>The files one <see cref="DemoReportWriter.Write"/> produced (full paths; null where the section had no data).</summary>
/// <param name="Index">index.html.</param>
/// <param name="ResultsJson">results.json.</param>
/// <param name="Results">results.svg.</param>
/// <param name="TrainingCurves">training-curves.svg, when there is at least one curve.</param>
/// <param name="Orthogonality">orthogonality.svg, when the results carry an orthogonality report.</param>
/// <param name="Interference">interference.svg, when there are interference points.</param>
/// <param name="Scalings">xlora-scalings.svg, when the results carry the X-LoRA heatmap.</param>
internal sealed record DemoReportFiles(string Index, string ResultsJson, string Results, string? TrainingCurves, string? Orthogonality, string? Interference, string? Scalings)
{
    /// <summary>Every written file, index.html last.</summary>
    public IReadOnlyList<string> All =>
        new[] { ResultsJson, Results, TrainingCurves, Orthogonality, Interference, Scalings, Index }.OfType<string>().ToList();
}

/// <summary>
/// Writes the demo report folder. Each file is written to a temporary name and renamed over the target
/// (<see cref="AtomicFile"/>), SVGs and results.json first and index.html last, so a reader never sees a page that links a
/// missing or half-written file. Optional charts that this run has no data for are deleted if an earlier run left them.
/// The output depends only on the <see cref="DemoResults"/> (no clock, no machine state), so equal input gives
/// byte-identical files.
/// </summary>
internal static class DemoReportWriter
{
    /// <summary>The page.</summary>
    public const string IndexFile = "index.html";

    /// <summary>Every number, machine-readable (<see cref="DemoJson"/>).</summary>
    public const string ResultsJsonFile = "results.json";

    /// <summary>Accuracy bars with Wilson whiskers (<see cref="DemoCharts.Results"/>).</summary>
    public const string ResultsSvgFile = "results.svg";

    /// <summary>Loss curves (<see cref="DemoCharts.TrainingCurves"/>).</summary>
    public const string TrainingCurvesSvgFile = "training-curves.svg";

    /// <summary>RMS-cosine heatmap (<see cref="DemoCharts.Orthogonality"/>).</summary>
    public const string OrthogonalitySvgFile = "orthogonality.svg";

    /// <summary>Predicted vs measured interference (<see cref="DemoCharts.Interference"/>).</summary>
    public const string InterferenceSvgFile = "interference.svg";

    /// <summary>The X-LoRA scalings heatmap, copied from <see cref="DemoResults.Scalings"/>.</summary>
    public const string ScalingsSvgFile = "xlora-scalings.svg";

    /// <summary>Validates <paramref name="results"/> and writes the report into <paramref name="directory"/> (created if missing).</summary>
    /// <exception cref="ArgumentException">The results break an invariant (<see cref="DemoResults.Validate"/>).</exception>
    /// <exception cref="IOException"><paramref name="directory"/> cannot be created or written.</exception>
    public static DemoReportFiles Write(DemoResults results, string directory)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        results.Validate();
        if (File.Exists(directory)) throw new IOException($"demo report: '{directory}' is a file (expected a folder for the report)");
        Directory.CreateDirectory(directory);
        string P(string name) => Path.GetFullPath(Path.Combine(directory, name));

        var files = new DemoReportFiles(
            P(IndexFile), P(ResultsJsonFile), P(ResultsSvgFile),
            results.Curves.Count > 0 ? P(TrainingCurvesSvgFile) : null,
            results.Orthogonality is not null ? P(OrthogonalitySvgFile) : null,
            results.Interference.Count > 0 ? P(InterferenceSvgFile) : null,
            results.Scalings is not null ? P(ScalingsSvgFile) : null);

        WriteText(files.Results, DemoCharts.Results(results));
        WriteOrDelete(P(TrainingCurvesSvgFile), files.TrainingCurves is null ? null : DemoCharts.TrainingCurves(results.Curves));
        WriteOrDelete(P(OrthogonalitySvgFile), results.Orthogonality is { } o ? DemoCharts.Orthogonality(o) : null);
        WriteOrDelete(P(InterferenceSvgFile), files.Interference is null ? null : DemoCharts.Interference(results.Interference));
        WriteOrDelete(P(ScalingsSvgFile), results.Scalings?.Svg);
        WriteText(files.ResultsJson, DemoJson.Serialize(results, DemoJsonLayout.Indented) + "\n");
        WriteText(files.Index, DemoHtml.Render(results, files));
        return files;
    }

    private static void WriteOrDelete(string path, string? text)
    {
        if (text is not null) WriteText(path, text);
        else if (File.Exists(path)) File.Delete(path);
    }

    private static void WriteText(string path, string text) => AtomicFile.WriteAllBytes(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
}

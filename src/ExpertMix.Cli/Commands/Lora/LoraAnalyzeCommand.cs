// `expertmix lora analyze`: pairwise orthogonality of adapters' effective deltas (predicts interference before merging).
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Study;
using ExpertMix.Tensors.IO;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Lora;

/// <summary>The `lora analyze` verb.</summary>
internal static class LoraAnalyzeCommand
{
    /// <summary>Title of the RMS-cosine heatmap that <c>--svg</c> writes (the demo report draws the same figure).</summary>
    public const string HeatmapTitle = "RMS cosine of effective LoRA deltas";

    /// <summary>Creates `lora analyze`.</summary>
    public static Command Create()
    {
        var adapter = new Option<string[]>("--adapter", "-a") { Description = "Adapters to compare: DIR or DIR:WEIGHT (repeatable, at least 2; a negative weight flips signed cosines).", Required = true };
        var perModule = new Option<bool>("--per-module") { Description = "Also list every module's cosine per pair." };
        var svg = new Option<string?>("--svg") { Description = "Write the RMS-cosine matrix as an SVG heatmap to this file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("analyze", "Orthogonality of LoRA adapters: per-module cosine of effective deltas ΔW = s·B·A (from Gram traces), RMS over modules, global, signed and raw-parameter cosines, subspace overlaps, each vs the random floor.");
        foreach (var o in new Option[] { adapter, perModule, svg, json }) cmd.Add(o);
        cmd.SetAction(pr => Execute(pr.GetValue(adapter)!.Select(ModelOptions.ParseAdapter).ToList(), pr.GetValue(perModule), pr.GetValue(svg), pr.GetValue(json), Console.Out));
        return cmd;
    }

    /// <summary>Runs the analysis and writes the report; returns 0.</summary>
    public static int Execute(IReadOnlyList<(string Directory, float Weight)> adapters, bool perModule, string? svg, bool json, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(output);
        if (adapters.Count < 2) throw new ArgumentException("lora analyze needs at least two --adapter");
        var loaded = new List<LoraAdapter>();
        try
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (dir, _) in adapters)
            {
                string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
                while (!names.Add(name)) name += "'";
                loaded.Add(PeftFormat.Load(dir, name));
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var matrix = Orthogonality.Pairwise(loaded.Select((a, i) => new MergeInput(a, adapters[i].Weight)).ToList());
            double seconds = clock.Elapsed.TotalSeconds;
            var pairs = new List<object>();
            for (int i = 0; i < matrix.Count; i++)
            {
                for (int j = i + 1; j < matrix.Count; j++) pairs.Add(PairJson(matrix[i, j], perModule));
            }
            if (svg is not null)
            {
                AtomicFile.WriteAllBytes(svg, System.Text.Encoding.UTF8.GetBytes(SvgHeatmap.Render(matrix.RmsCosine, matrix.Names, matrix.Names, HeatmapTitle)));
            }
            if (json)
            {
                var report = new Dictionary<string, object?>
                {
                    ["adapters"] = matrix.Names,
                    ["rms_cosine"] = ToJagged(matrix.RmsCosine),
                    ["global_cosine"] = ToJagged(matrix.GlobalCosine),
                    ["mean_signed_cosine"] = ToJagged(matrix.MeanSignedCosine),
                    ["pairs"] = pairs,
                    ["seconds"] = Math.Round(seconds, 3),
                };
                output.WriteLine(CliJson.Serialize(report));
                return 0;
            }
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            var grid = new Table().Border(TableBorder.Rounded).Title("RMS cosine").AddColumn("");
            foreach (var n in matrix.Names) grid.AddColumn(Markup.Escape(n));
            for (int i = 0; i < matrix.Count; i++) grid.AddRow([Markup.Escape(matrix.Names[i]), .. Enumerable.Range(0, matrix.Count).Select(j => G(matrix.RmsCosine[i, j]))]);
            console.Write(grid);
            var table = new Table().Border(TableBorder.Rounded).AddColumns("pair", "L", "RMS cos", "×floor", "global cos", "mean signed", "raw-param cos", "col(B) overlap", "row(A) overlap");
            for (int i = 0; i < matrix.Count; i++)
            {
                for (int j = i + 1; j < matrix.Count; j++)
                {
                    var p = matrix[i, j];
                    table.AddRow(Markup.Escape($"{p.AdapterI} × {p.AdapterJ}"), p.CommonModules.ToString(CultureInfo.InvariantCulture), G(p.RmsCosine), G(p.RmsToFloor), G(p.GlobalCosine),
                        G(p.MeanSignedCosine), p.RawParameterCosine is { } r ? G(r) : "–", G(p.MeanColumnSpaceOverlap), G(p.MeanRowSpaceOverlap));
                }
            }
            console.Write(table);
            console.WriteLine($"{matrix.Count} adapters in {seconds:F2} s; the random floor is E|cos| of independent random deltas of the same shapes.");
            return 0;
        }
        finally
        {
            foreach (var a in loaded) a.Dispose();
        }
    }

    private static object PairJson(PairOrthogonality p, bool perModule) => new Dictionary<string, object?>
    {
        ["i"] = p.AdapterI,
        ["j"] = p.AdapterJ,
        ["common_modules"] = p.CommonModules,
        ["rms_cosine"] = p.RmsCosine,
        ["global_cosine"] = p.GlobalCosine,
        ["mean_signed_cosine"] = p.MeanSignedCosine,
        ["raw_parameter_cosine"] = p.RawParameterCosine,
        ["column_space_overlap"] = p.MeanColumnSpaceOverlap,
        ["row_space_overlap"] = p.MeanRowSpaceOverlap,
        ["random_floor"] = p.RandomFloor,
        ["rms_to_floor"] = p.RmsToFloor,
        ["per_module"] = perModule ? p.Modules.ToDictionary(m => m.ModulePath, m => m.Cosine) : null,
    };

    private static double[][] ToJagged(double[,] m) => Enumerable.Range(0, m.GetLength(0)).Select(i => Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j]).ToArray()).ToArray();

    private static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}

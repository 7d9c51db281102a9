// `expertmix lora merge`: compose adapters with any merge method into a PEFT adapter or (--into-base) a full model.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Models;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Lora;

/// <summary>The `lora merge` verb.</summary>
internal static class LoraMergeCommand
{
    /// <summary>Typed options of `lora merge`.</summary>
    /// <param name="Adapters">Adapter directories and weights (negative allowed).</param>
    /// <param name="Method">A merge method name (see <see cref="MergeMethodInfo.Parse"/>).</param>
    /// <param name="Parameters">Method parameters.</param>
    /// <param name="Out">Output directory (a PEFT adapter, or a model with <paramref name="IntoBase"/>).</param>
    /// <param name="IntoBase">The base model directory to merge into, or null for an adapter output.</param>
    /// <param name="Recompress">Rank selection for re-compressing a dense result into an adapter.</param>
    /// <param name="Json">Print JSON.</param>
    public sealed record Options(IReadOnlyList<(string Directory, float Weight)> Adapters, string Method, MergeOptions Parameters, string Out, string? IntoBase, RankSelection? Recompress, bool Json);

    /// <summary>Creates `lora merge`.</summary>
    public static Command Create()
    {
        var adapter = new Option<string[]>("--adapter", "-a") { Description = "An adapter to merge: DIR or DIR:WEIGHT (repeatable; weights may be negative).", Required = true };
        var method = new Option<string>("--method") { Description = "delta-sum, cat, factor-sum, peft-linear, peft-svd, peft-ties, peft-dare-linear, peft-dare-ties, peft-magnitude-prune, their -svd variants, task-arithmetic, ties, dare-linear, dare-ties, breadcrumbs, breadcrumbs-ties, della, della-linear, linear, slerp.", DefaultValueFactory = _ => "delta-sum" };
        var output = new Option<string>("--out", "-o") { Description = "Output directory.", Required = true };
        var intoBase = new Option<string?>("--into-base") { Description = "Merge into this base model directory and write a full HF model (sharded safetensors, config and tokenizer copied)." };
        var density = new Option<double>("--density") { Description = "ρ: fraction kept by sparsifying methods (1 = keep all).", DefaultValueFactory = _ => 1 };
        var lambda = new Option<double>("--lambda") { Description = "λ: scale of the merged task vector (mergekit methods).", DefaultValueFactory = _ => 1 };
        var epsilon = new Option<double>("--epsilon") { Description = "ε of DELLA's magnitude-ranked keep probabilities.", DefaultValueFactory = _ => 0.15 };
        var gamma = new Option<double>("--gamma") { Description = "γ: fraction of largest entries breadcrumbs drops.", DefaultValueFactory = _ => 0.01 };
        var svdRank = new Option<int?>("--svd-rank") { Description = "Rank of *-svd methods (default: the largest input rank)." };
        var svdClamp = new Option<double?>("--svd-clamp") { Description = "Quantile q: clamp SVD factors to ±quantile_q (PEFT svd_clamp)." };
        var peftCompat = new Option<bool>("--peft-compat") { Description = "Reproduce PEFT's *_svd scaling (Σ w s² B A) instead of the exact target Σ w s B A." };
        var sign = new Option<string>("--majority-sign") { Description = "PEFT ties sign election: total or frequency.", DefaultValueFactory = _ => "total" };
        var rescale = new Option<string?>("--rescale") { Description = "Override the method's rescale: none, inverse-prob or l1." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of random masks (DARE, DELLA), per module and adapter.", DefaultValueFactory = _ => 42 };
        var t = new Option<double>("--t") { Description = "SLERP interpolation t ∈ [0, 1].", DefaultValueFactory = _ => 0.5 };
        var recRank = new Option<int?>("--recompress-rank") { Description = "Write a dense result as an adapter of this rank (truncated SVD)." };
        var recError = new Option<double?>("--recompress-error") { Description = "Write a dense result as an adapter of the smallest rank within this relative error per module (default 0.01)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("merge", "Compose LoRA adapters (naive delta summation, cat, PEFT and mergekit methods) into a PEFT adapter or a merged model; reports the composition error.");
        foreach (var o in new Option[] { adapter, method, output, intoBase, density, lambda, epsilon, gamma, svdRank, svdClamp, peftCompat, sign, rescale, seed, t, recRank, recError, json }) cmd.Add(o);
        sign.AcceptOnlyFromAmong("total", "frequency");
        rescale.AcceptOnlyFromAmong("none", "inverse-prob", "l1");
        cmd.SetAction(pr =>
        {
            var options = new MergeOptions
            {
                Density = pr.GetValue(density),
                Lambda = pr.GetValue(lambda),
                Epsilon = pr.GetValue(epsilon),
                Gamma = pr.GetValue(gamma),
                SvdRank = pr.GetValue(svdRank),
                SvdClamp = pr.GetValue(svdClamp),
                SvdScaling = pr.GetValue(peftCompat) ? SvdScaling.PeftCompat : SvdScaling.Exact,
                SignElection = pr.GetValue(sign) == "frequency" ? SignElection.Frequency : SignElection.Total,
                Rescale = pr.GetValue(rescale) switch { "none" => RescaleMode.None, "inverse-prob" => RescaleMode.InverseProb, "l1" => RescaleMode.L1, _ => null },
                Seed = pr.GetValue(seed),
                SlerpT = pr.GetValue(t),
                Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(pr.GetValue(output)!))),
            };
            RankSelection? rec = pr.GetValue(recRank) is { } k ? RankSelection.Rank(k) : pr.GetValue(recError) is { } e ? RankSelection.RelativeError(e) : null;
            return Execute(new Options(pr.GetValue(adapter)!.Select(ModelOptions.ParseAdapter).ToList(), pr.GetValue(method)!, options, pr.GetValue(output)!, pr.GetValue(intoBase), rec, pr.GetValue(json)), Console.Out);
        });
        return cmd;
    }

    /// <summary>Runs the merge and writes its output and report; returns 0.</summary>
    public static int Execute(Options o, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(output);
        var method = MergeMethodInfo.Parse(o.Method);
        var adapters = new List<LoraAdapter>();
        try
        {
            foreach (var (dir, _) in o.Adapters) adapters.Add(LoraAdapter.Load(dir, $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)))}#{adapters.Count}"));
            var report = new Dictionary<string, object?>
            {
                ["method"] = MergeMethodInfo.NameOf(method),
                ["effective_method"] = null,   // set with the timing and the error by Header, in this order
                ["adapters"] = o.Adapters.Select(a => new { path = Path.GetFullPath(a.Directory), weight = a.Weight }).ToList(),
                ["output"] = Path.GetFullPath(o.Out),
                ["merge_s"] = null,
                ["composition_error"] = null,
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            CompositionErrorReport error = o.IntoBase is { } baseDir
                ? MergeIntoBase(adapters, o, method, baseDir, report, clock)
                : MergeToAdapter(adapters, o, method, report, clock);
            if (o.Json)
            {
                output.WriteLine(CliJson.Serialize(report));
                return 0;
            }
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            var table = new Table().Border(TableBorder.Rounded).AddColumns("module", "‖ΔW − T‖/‖T‖", "‖T‖_F");
            foreach (var m in error.Modules) table.AddRow(Markup.Escape(m.ModulePath), G(m.Relative), G(m.TargetNorm));
            console.Write(table);
            console.WriteLine($"{report["method"]}: wrote {report["kind"]} to {o.Out} in {report["merge_s"]:F2} s; composition error aggregate {G(error.Aggregate)}, max {G(error.Max)} ({error.MaxModule})");
            return 0;
        }
        finally
        {
            foreach (var a in adapters) a.Dispose();
        }
    }

    /// <summary>--into-base: the merged ΔW of every module folded into the base weights, written as a full model.</summary>
    private static CompositionErrorReport MergeIntoBase(List<LoraAdapter> adapters, Options o, MergeMethod method, string baseDir, Dictionary<string, object?> report, System.Diagnostics.Stopwatch clock)
    {
        var inputs = adapters.Select((a, i) => new MergeInput(a, o.Adapters[i].Weight)).ToList();
        using var result = LoraMerger.Merge(inputs, method, o.Parameters);
        Header(report, result.EffectiveMethod, result.CompositionError, clock);
        using var model = CausalLm.Load(baseDir);
        var deltas = result.ModulePaths.ToDictionary(p => p, result.DeltaOf, StringComparer.Ordinal);
        try
        {
            var files = MergedModelWriter.Write(model, baseDir, o.Out, deltas: deltas);
            report["kind"] = "model";
            report["files"] = files.Count;
        }
        finally
        {
            foreach (var d in deltas.Values) d.Dispose();
        }
        return result.CompositionError;
    }

    /// <summary>A PEFT adapter: the factors of a factor-space method, or a dense result re-compressed (<see cref="LoraAdapter.Merge"/>).</summary>
    private static CompositionErrorReport MergeToAdapter(List<LoraAdapter> adapters, Options o, MergeMethod method, Dictionary<string, object?> report, System.Diagnostics.Stopwatch clock)
    {
        var options = new LoraMergeOptions { Method = method, Weights = o.Adapters.Select(a => a.Weight).ToList(), Parameters = o.Parameters, Recompress = o.Recompress };
        using var result = LoraAdapter.Merge(adapters, options);
        Header(report, result.EffectiveMethod, result.CompositionError, clock);
        result.Adapter.Save(o.Out);
        report["kind"] = result.IsRecompressed ? "adapter (re-compressed)" : "adapter";
        report["rank"] = result.Adapter.Modules.Values.Max(m => m.Rank);
        if (result.RecompressionError is { } re) report["recompression_error"] = ErrorJson(re);
        if (result.ErrorVsTarget is { } te) report["error_vs_target"] = ErrorJson(te);
        return result.CompositionError;
    }

    private static void Header(Dictionary<string, object?> report, MergeMethod effective, CompositionErrorReport error, System.Diagnostics.Stopwatch clock)
    {
        report["effective_method"] = MergeMethodInfo.NameOf(effective);
        report["merge_s"] = Math.Round(clock.Elapsed.TotalSeconds, 3);
        report["composition_error"] = ErrorJson(error);
    }

    private static object ErrorJson(CompositionErrorReport r) => new
    {
        aggregate = r.Aggregate,
        max = r.Max,
        max_module = r.MaxModule,
        per_module = r.Modules.ToDictionary(m => m.ModulePath, m => m.Relative),
    };

    private static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}

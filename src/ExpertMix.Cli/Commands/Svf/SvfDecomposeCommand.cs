// `expertmix svf decompose --model DIR [--targets …] [--out CACHE]`: the full SVD of every target, cached (spec §3).
using System.CommandLine;
using System.Diagnostics;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>The `svf decompose` verb.</summary>
internal static class SvfDecomposeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "A Hugging Face model directory.", Required = true };
        var targets = new Option<string>("--targets") { Description = "mlp (gate/up/down, the reference), attention (q, v), all, or a comma-separated suffix list.", DefaultValueFactory = _ => "mlp" };
        var output = new Option<string?>("--out") { Description = "The basis file (default: <model>/svf-basis.safetensors)." };
        var precision = new Option<string>("--precision") { Description = "U/V storage: f32 or bf16 (σ is always f32).", DefaultValueFactory = _ => "f32" };
        precision.AcceptOnlyFromAmong("f32", "bf16");
        var threads = new Option<int?>("--threads", "-t") { Description = "Matrices decomposed in parallel (default: all cores)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (no progress bar)." };
        var cmd = new Command("decompose", "Full reduced SVD W = U diag(σ) Vᵀ (f64) of every SVF target, saved with each source weight's sha256 (verified on load).");
        foreach (var o in new Option[] { model, targets, output, precision, threads, json }) cmd.Add(o);
        cmd.SetAction(pr => Execute(pr.GetValue(model)!, pr.GetValue(targets)!, pr.GetValue(output), pr.GetValue(precision) == "bf16" ? SvfBasisPrecision.BF16 : SvfBasisPrecision.F32,
            pr.GetValue(threads), pr.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Execute(string modelDir, string targetsText, string? output, SvfBasisPrecision precision, int? threads, bool json, TextWriter stdout)
    {
        if (!Directory.Exists(modelDir)) throw new UserErrorException($"model directory not found: {modelDir}");
        if (threads is < 1) throw new UserErrorException($"--threads must be ≥ 1 (got {threads})");
        var targets = SvfCommand.ParseTargets(targetsText);
        string path = output ?? Path.Combine(modelDir, SvfBasis.FileName);
        using var model = CausalLm.Load(modelDir);
        var slots = targets.Resolve(model);
        string baseModel = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir)));
        var clock = Stopwatch.StartNew();
        SvfBasis basis;
        if (json || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            basis = SvfBasis.Decompose(model, targets, baseModel, json ? null : p => Console.Error.WriteLine($"SVD {p.Done}/{p.Total} {p.ParamName} ({p.Elapsed.TotalSeconds:F1} s)"), threads ?? 0);
        }
        else
        {
            basis = null!;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var bar = ctx.AddTask($"SVD of {slots.Count} matrices", maxValue: slots.Count);
                    basis = SvfBasis.Decompose(model, targets, baseModel, p => bar.Value = p.Done, threads ?? 0);
                });
        }
        using (basis)
        {
            double seconds = clock.Elapsed.TotalSeconds;
            basis.Save(path, precision);
            var report = new Dictionary<string, object?>
            {
                ["basis"] = Path.GetFullPath(path),
                ["model"] = Path.GetFullPath(modelDir),
                ["targets"] = targets.ToString(),
                ["matrices"] = basis.Matrices.Count,
                ["parameters"] = basis.Matrices.Sum(m => (long)m.Rank),
                ["precision"] = precision == SvfBasisPrecision.BF16 ? "bf16" : "f32",
                ["seconds"] = Math.Round(seconds, 3),
                ["bytes"] = new FileInfo(path).Length,
                ["basis_sha256"] = basis.Fingerprint,
            };
            if (json)
            {
                stdout.WriteLine(CliJson.Serialize(report));
                return 0;
            }
            stdout.WriteLine($"decomposed {basis.Matrices.Count} matrices ({report["parameters"]} SVF parameters) in {seconds:F1} s → {path}");
            stdout.WriteLine($"basis_sha256 {basis.Fingerprint}");
            return 0;
        }
    }
}

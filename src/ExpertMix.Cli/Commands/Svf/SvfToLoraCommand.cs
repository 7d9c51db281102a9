// `expertmix svf to-lora --model DIR --svf DIR --rank K | --epsilon E --out DIR`: exact Eckart–Young SVF → PEFT LoRA (spec §10).
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>The `svf to-lora` verb.</summary>
internal static class SvfToLoraCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "The base model directory the expert was trained on.", Required = true };
        var svf = new Option<string>("--svf") { Description = "An SVF expert directory or svf_mixture.json.", Required = true };
        var basis = new Option<string?>("--svf-basis") { Description = "The basis cache (default: <model>/svf-basis.safetensors if present, else decomposed in memory)." };
        var rank = new Option<int?>("--rank") { Description = "Keep the k largest |d_i| of every matrix (k ≥ r keeps all: exact)." };
        var epsilon = new Option<double?>("--epsilon") { Description = "Keep the smallest k whose relative tail energy Σ_{i∉K} d_i²/Σ d_i² ≤ ε² (per matrix)." };
        var split = new Option<string>("--split") { Description = "exact: B = U_K diag(d), A = V_Kᵀ; balanced: √|d| on both sides (for further training).", DefaultValueFactory = _ => "exact" };
        split.AcceptOnlyFromAmong("exact", "balanced");
        var output = new Option<string>("--out") { Description = "The PEFT adapter directory to write.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (per-matrix errors and tail-energy curves)." };
        var cmd = new Command("to-lora", "Convert an SVF expert or mixture to a PEFT LoRA adapter: ΔW = U diag(d) Vᵀ, d_i = σ_i(c·z_i − 1), truncated optimally (Eckart–Young).");
        foreach (var o in new Option[] { model, svf, basis, rank, epsilon, split, output, json }) cmd.Add(o);
        cmd.SetAction(pr => Execute(pr.GetValue(model)!, pr.GetValue(svf)!, pr.GetValue(basis), pr.GetValue(rank), pr.GetValue(epsilon),
            pr.GetValue(split) == "balanced" ? SvfLoraSplit.Balanced : SvfLoraSplit.Exact, pr.GetValue(output)!, pr.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Execute(string modelDir, string svf, string? basisPath, int? rank, double? epsilon, SvfLoraSplit split, string output, bool json, TextWriter stdout)
    {
        if ((rank is null) == (epsilon is null)) throw new UserErrorException("give exactly one of --rank K or --epsilon E");
        RankSelection select;
        try
        {
            select = rank is { } k ? RankSelection.Rank(k) : RankSelection.RelativeError(epsilon!.Value);
        }
        catch (ArgumentException e)
        {
            throw new UserErrorException((rank is null ? "--epsilon: " : "--rank: ") + e.Message, e);
        }
        using var model = (SvfAdaptedModel)new ModelArgs(modelDir, DTypePolicy.F32, null) { Svf = svf, SvfBasis = basisPath }.LoadModel();
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)));
        var conversion = SvfToLora.Convert(model.Host, select, name, split);
        using (conversion.Adapter) PeftFormat.Save(conversion.Adapter, output);
        var modules = conversion.Modules.Select(m => new Dictionary<string, object?>
        {
            ["module"] = m.ModulePath,
            ["rank"] = m.Rank,
            ["full_rank"] = m.FullRank,
            ["frobenius_error"] = m.FrobeniusError,
            ["spectral_error"] = m.SpectralError,
            ["relative_error"] = m.RelativeError,
            ["tail_energy"] = m.TailEnergy,
        }).ToList();
        double totalSq = conversion.Modules.Sum(m => m.RelativeError > 0 ? m.FrobeniusError * m.FrobeniusError / (m.RelativeError * m.RelativeError) : 0);
        double tailSq = conversion.Modules.Sum(m => m.FrobeniusError * m.FrobeniusError);
        var report = new Dictionary<string, object?>
        {
            ["adapter"] = Path.GetFullPath(output),
            ["svf"] = Path.GetFullPath(svf),
            ["selection"] = rank is { } r ? $"rank {r}" : $"epsilon {epsilon!.Value.ToString(CultureInfo.InvariantCulture)}",
            ["split"] = split == SvfLoraSplit.Exact ? "exact" : "balanced",
            ["modules"] = modules.Count,
            ["lora_parameters"] = conversion.Modules.Sum(m => (long)m.Rank * (model.Basis[m.ModulePath + ".weight"].Rows + model.Basis[m.ModulePath + ".weight"].Cols)),
            ["frobenius_error"] = Math.Sqrt(tailSq),
            ["relative_error"] = totalSq > 0 ? Math.Sqrt(tailSq / totalSq) : 0,
            ["max_spectral_error"] = conversion.Modules.Max(m => m.SpectralError),
            ["matrices"] = modules,
        };
        if (json)
        {
            stdout.WriteLine(CliJson.Serialize(report));
            return 0;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
        var table = new Table().Border(TableBorder.Rounded).AddColumns("module", "k / r", "‖ΔW−BA‖_F", "‖ΔW−BA‖_2", "relative", "tail energy at k = 1, 2, 4, 8, …");
        foreach (var m in conversion.Modules)
        {
            var curve = Enumerable.Range(0, 12).Select(i => 1 << i).Where(j => j <= m.FullRank).Select(j => $"{j}:{m.TailEnergy[j].ToString("G3", CultureInfo.InvariantCulture)}");
            table.AddRow(Markup.Escape(m.ModulePath), $"{m.Rank} / {m.FullRank}", m.FrobeniusError.ToString("G4", CultureInfo.InvariantCulture),
                m.SpectralError.ToString("G4", CultureInfo.InvariantCulture), m.RelativeError.ToString("G4", CultureInfo.InvariantCulture), string.Join(" ", curve));
        }
        console.Write(table);
        console.MarkupLine($"wrote {Markup.Escape(Path.GetFullPath(output))} ({modules.Count} modules, {report["lora_parameters"]} LoRA parameters, relative error {((double)report["relative_error"]!).ToString("G4", CultureInfo.InvariantCulture)})");
        return 0;
    }
}

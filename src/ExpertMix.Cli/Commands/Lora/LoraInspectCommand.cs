// `expertmix lora inspect DIR [--json]`: an adapter's configuration and per-module ranks, scalings and delta norms.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Lora;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Lora;

/// <summary>The `lora inspect` verb.</summary>
internal static class LoraInspectCommand
{
    /// <summary>Creates `lora inspect`.</summary>
    public static Command Create()
    {
        var dir = new Argument<string>("adapter") { Description = "A PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("inspect", "Show a LoRA adapter's configuration, modules, ranks, scalings and ‖ΔW‖_F per module.");
        cmd.Add(dir);
        cmd.Add(json);
        cmd.SetAction(pr => Execute(pr.GetValue(dir)!, pr.GetValue(json), Console.Out));
        return cmd;
    }

    /// <summary>Loads the adapter and writes the report; returns 0.</summary>
    public static int Execute(string dir, bool json, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var adapter = PeftFormat.Load(dir);
        var c = adapter.Config;
        var modules = adapter.Modules.Values.Select(m =>
        {
            using var d = m.Delta();                                           // [out, in]
            double norm = Math.Sqrt(d.ToArray().Sum(x => (double)x * x));
            return new { module = m.ModulePath, rank = m.Rank, @in = m.InFeatures, @out = m.OutFeatures, scaling = m.Scaling, delta_fro = norm };
        }).ToList();
        var report = new Dictionary<string, object?>
        {
            ["adapter"] = Path.GetFullPath(dir),
            ["peft_type"] = "LORA",
            ["base_model_name_or_path"] = c.BaseModelNameOrPath,
            ["r"] = c.Rank,
            ["lora_alpha"] = c.Alpha,
            ["use_rslora"] = c.UseRsLora,
            ["lora_dropout"] = c.Dropout,
            ["target_modules"] = c.TargetModules.ToString(),
            ["fan_in_fan_out"] = c.FanInFanOut,
            ["modules"] = modules.Count,
            ["parameters"] = adapter.ParameterCount,
            ["delta_fro_total"] = Math.Sqrt(modules.Sum(m => m.delta_fro * m.delta_fro)),
            ["per_module"] = modules,
        };
        if (json)
        {
            output.WriteLine(CliJson.Serialize(report));
            return 0;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var summary = new Table().Border(TableBorder.Rounded).AddColumns("", "");
        summary.ShowHeaders = false;
        foreach (var (k, v) in report.Where(kv => kv.Key != "per_module"))
        {
            summary.AddRow(Markup.Escape(k), Markup.Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null"));
        }
        console.Write(summary);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("module", "r", "in → out", "s", "‖ΔW‖_F");
        foreach (var m in modules)
        {
            table.AddRow(Markup.Escape(m.module), m.rank.ToString(CultureInfo.InvariantCulture), $"{m.@in} → {m.@out}",
                m.scaling.ToString("G4", CultureInfo.InvariantCulture), m.delta_fro.ToString("G4", CultureInfo.InvariantCulture));
        }
        console.Write(table);
        return 0;
    }
}

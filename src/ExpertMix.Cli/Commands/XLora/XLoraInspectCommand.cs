// `expertmix xlora inspect DIR [--model DIR] [--json]`: an X-LoRA checkpoint's knobs, experts, gate and (with a model) its binding.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.XLora;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.XLora;

/// <summary>The `xlora inspect` verb.</summary>
internal static class XLoraInspectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("xlora") { Description = "An X-LoRA checkpoint directory (original xlora layout or PEFT's)." };
        var model = new Option<string?>("--model", "-m") { Description = "Also load onto this base model: checks the binding and lists the gate's module numbering." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("inspect", "Show an X-LoRA checkpoint: layout, every knob, the experts (ranks, targets, modules), the gate's tensors, and with --model the module numbering.");
        cmd.Add(dir);
        cmd.Add(model);
        cmd.Add(json);
        cmd.SetAction(pr => Execute(pr.GetValue(dir)!, pr.GetValue(model), pr.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Execute(string dir, string? modelDir, bool json, TextWriter output)
    {
        var doc = XLoraFormat.ReadConfig(dir);
        var c = doc.Config;
        var experts = XLoraFormat.ResolveExperts(dir).Select(e =>
        {
            var cfgPath = Path.Combine(e.Value, PeftConfigJson.FileName);
            var lora = PeftConfigJson.Parse(File.ReadAllText(cfgPath), cfgPath);
            using var file = SafetensorsFile.Open(Path.Combine(e.Value, PeftFormat.WeightsFileName));
            return new Dictionary<string, object?>
            {
                ["name"] = e.Key,
                ["path"] = e.Value,
                ["r"] = lora.Rank,
                ["lora_alpha"] = lora.Alpha,
                ["use_rslora"] = lora.UseRsLora,
                ["target_modules"] = lora.TargetModules.ToString(),
                ["modules"] = file.Names.Count / 2,
            };
        }).ToList();
        string classifierPath = XLoraFormat.ClassifierPath(dir);
        List<Dictionary<string, object?>> gate;
        using (var file = SafetensorsFile.Open(classifierPath))
        {
            gate = [.. file.Tensors.Select(t => new Dictionary<string, object?> { ["name"] = t.Name, ["shape"] = t.Shape.ToArray(), ["dtype"] = t.DType.SafetensorsName() })];
        }
        var report = new Dictionary<string, object?>
        {
            ["xlora"] = Path.GetFullPath(dir),
            ["layout"] = doc.Layout == XLoraLayout.Peft ? "peft" : "original",
            ["config"] = doc.Path,
            ["hidden_size"] = c.HiddenSize,
            ["base_model_id"] = c.BaseModelId,
            ["experts"] = experts,
            ["enable_softmax"] = c.EnableSoftmax,
            ["softmax_temperature"] = c.SoftmaxTemperature,
            ["layerwise_scalings"] = c.LayerwiseScalings,
            ["top_k_lora"] = c.TopKLora,
            ["enable_softmax_topk"] = c.EnableSoftmaxTopK,
            ["xlora_depth"] = c.XLoraDepth,
            ["xlora_size"] = c.XLoraSize,
            ["enable_relu_and_dropout"] = c.EnableReluAndDropout,
            ["use_bias"] = c.UseBias,
            ["xlora_dropout_p"] = c.XLoraDropoutP,
            ["use_trainable_adapters"] = c.UseTrainableAdapters,
            ["scaling_pass_value"] = c.ScalingPassValue,
            ["global_scaling_weight"] = c.GlobalScalingWeight,
            ["classifier_file"] = classifierPath,
            ["classifier"] = gate,
            ["classifier_parameters"] = gate.Sum(t => ((int[])t["shape"]!).Aggregate(1L, (a, d) => a * d)),
            ["manifest"] = File.Exists(Path.Combine(dir, XLoraManifest.FileName)),
            ["warnings"] = c.Warnings(),
        };
        if (modelDir is not null)
        {
            using var xl = new ModelArgs(modelDir, Models.DTypePolicy.Keep, null) { XLora = dir }.LoadModel() as XLoraModel;
            report["model"] = Path.GetFullPath(modelDir);
            report["adapted_modules"] = xl!.Layers.Count;
            report["modules_per_expert"] = xl.ExpertModuleCounts;
            report["layers"] = xl.Layers;
        }
        if (json)
        {
            output.WriteLine(CliJson.Serialize(report));
            return 0;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var summary = new Table().Border(TableBorder.Rounded).AddColumns("", "");
        summary.ShowHeaders = false;
        foreach (var (k, v) in report.Where(kv => kv.Key is not ("experts" or "classifier" or "layers" or "modules_per_expert" or "warnings")))
        {
            summary.AddRow(Markup.Escape(k), Markup.Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null"));
        }
        console.Write(summary);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("column", "expert", "r", "α", "targets", "modules", "path");
        for (int i = 0; i < experts.Count; i++)
        {
            var e = experts[i];
            table.AddRow(i.ToString(CultureInfo.InvariantCulture), Markup.Escape((string)e["name"]!), Convert.ToString(e["r"], CultureInfo.InvariantCulture)!,
                Convert.ToString(e["lora_alpha"], CultureInfo.InvariantCulture)!, Markup.Escape((string)e["target_modules"]!), Convert.ToString(e["modules"], CultureInfo.InvariantCulture)!,
                Markup.Escape((string)e["path"]!));
        }
        console.Write(table);
        var g = new Table().Border(TableBorder.Rounded).AddColumns("gate tensor", "shape", "dtype");
        foreach (var t in gate) g.AddRow(Markup.Escape((string)t["name"]!), string.Join("×", (int[])t["shape"]!), (string)t["dtype"]!);
        console.Write(g);
        foreach (var w in c.Warnings()) console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
        return 0;
    }
}

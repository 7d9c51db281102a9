// `expertmix xlora scalings`: which expert the gate picks on which token and layer, as an SVG heatmap and data files.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models.Generation;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.XLora;

/// <summary>The `xlora scalings` verb.</summary>
internal static class XLoraScalingsCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The text to score (and continue with --max-new-tokens).", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Wrap the prompt in the model's chat template." };
        var maxNew = new Option<int>("--max-new-tokens", "-n") { Description = "Greedy tokens to generate after the prompt (their scalings are included).", DefaultValueFactory = _ => 0 };
        var svg = new Option<string>("--out", "-o") { Description = "The SVG heatmap: tokens × layers, one panel per expert, the dominant expert and the mean over tokens.", Required = true };
        var json = new Option<string?>("--json") { Description = "Also write the scalings as JSON to this file ('-' = stdout)." };
        var csv = new Option<string?>("--csv") { Description = "Also write a long CSV (step,batch,pos,token,layer,module,adapter,value)." };
        var npy = new Option<string?>("--npy") { Description = "Also write xlora-compatible NumPy files (PATH.npy, or PATH-<s>.npy + PATH-mapping.json)." };
        var st = new Option<string?>("--safetensors") { Description = "Also write safetensors (scalings.{i}) with a JSON sidecar." };
        var cmd = new Command("scalings", "Run an X-LoRA model on a prompt and plot its per-token, per-layer expert scalings as an SVG heatmap (and export them).");
        model.AddTo(cmd);
        foreach (var o in new Option[] { prompt, chat, maxNew, svg, json, csv, npy, st }) cmd.Add(o);
        cmd.SetAction(pr =>
        {
            var args = model.Bind(pr);
            if (args.XLora is null) throw new ArgumentException("xlora scalings needs --xlora DIR");
            if (pr.GetValue(maxNew) < 0) throw new ArgumentException("--max-new-tokens must be ≥ 0");
            var generator = args.LoadGenerator();
            using var xl = (XLoraModel)generator.Model;
            xl.ScalingsLog.Enabled = true;
            var format = pr.GetValue(chat) ? PromptFormat.Chat : PromptFormat.Raw;
            var ids = generator.EncodePrompt(pr.GetValue(prompt)!, format);
            if (pr.GetValue(maxNew) > 0)
            {
                generator.Generate([ids], new GenerationOptions { MaxNewTokens = pr.GetValue(maxNew) });
            }
            else
            {
                using var scope = TensorScope.Begin();
                using var noGrad = Autograd.NoGrad();
                using var input = Tensor.FromInts([.. ids], new Shape(1, ids.Count));
                xl.Forward(input, new Nn.ForwardContext());
            }
            var entries = XLoraScalingsSequence.LastSequence(xl.ScalingsLog.Entries);
            var labels = XLoraScalingsLabels.FromModel(xl, entries, id => generator.Tokenizer.Decode([id], ExpertMix.Models.Tokenization.SkipSpecial.No));
            string svgPath = pr.GetValue(svg)!;
            AtomicFile.WriteAllBytes(svgPath, System.Text.Encoding.UTF8.GetBytes(XLoraScalingsSvg.Render(entries, labels)));
            var written = new List<string> { svgPath };
            if (pr.GetValue(json) is { } j)
            {
                if (j == "-") Console.WriteLine(XLoraScalingsExport.ToJson(entries, labels));
                else
                {
                    XLoraScalingsExport.WriteJson(j, entries, labels);
                    written.Add(j);
                }
            }
            if (pr.GetValue(csv) is { } c)
            {
                XLoraScalingsExport.WriteCsv(c, entries, labels);
                written.Add(c);
            }
            if (pr.GetValue(npy) is { } n) written.AddRange(XLoraScalingsExport.WriteNumpy(n, entries, labels));
            if (pr.GetValue(st) is { } s) written.AddRange(XLoraScalingsExport.WriteSafetensors(s, entries, labels));
            Summarise(xl, entries, labels, written);
            return 0;
        });
        return cmd;
    }

    /// <summary>On stderr: tokens scored, each expert's mean scaling and how often it dominates.</summary>
    private static void Summarise(XLoraModel xl, IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels, List<string> written)
    {
        int n = xl.Config.ExpertCount, layers = xl.Layers.Count, tokens = entries.Sum(e => e.Tokens);
        var mean = new double[n];
        var dominant = new int[n];
        foreach (var e in entries)
        {
            for (int t = 0; t < e.Tokens; t++)
            {
                for (int l = 0; l < layers; l++)
                {
                    for (int i = 0; i < n; i++) mean[i] += e.At(0, t, l, i) / ((double)tokens * layers);
                    dominant[XLoraScalingsExport.Dominant(e, 0, t, l)]++;
                }
            }
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var table = new Table().Border(TableBorder.Rounded).AddColumns("expert", "mean scaling", "dominant in");
        for (int i = 0; i < n; i++)
        {
            table.AddRow(Markup.Escape(labels.Adapters[i]), mean[i].ToString("F3", CultureInfo.InvariantCulture),
                $"{100.0 * dominant[i] / Math.Max(1, tokens * layers):F1}% of token×layer cells");
        }
        console.Write(table);
        console.MarkupLine($"{tokens} tokens × {layers} modules; wrote {Markup.Escape(string.Join(", ", written))}");
    }
}

// `expertmix xlora train`: train an X-LoRA gate over frozen LoRA experts with the shared trainer.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Adapters.XLora;
using ExpertMix.Cli.Commands.Training;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.XLora;

/// <summary>The `xlora train` verb.</summary>
internal static class XLoraTrainCommand
{
    private sealed record Knobs(int Depth, int Size, bool Layerwise, bool NoSoftmax, float Temperature, int? TopK, bool SoftmaxTopK, string ScalingPassValue,
        float GlobalWeight, float GateDropout, bool NoReluDropout, bool TrainableAdapters, string Init, double EntropyBonus, double LoadBalance, string Layout);

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Base model directory (Hugging Face layout).", Required = true };
        var adapters = new Option<string[]>("--adapter", "-a") { Description = "A LoRA expert: NAME=DIR or DIR (name = folder name); repeatable, in gate column order.", Required = true };
        var depth = new Option<int>("--depth") { Description = "xlora_depth: Linear layers in the gate.", DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--size") { Description = "xlora_size: hidden width of a gate with depth ≥ 2.", DefaultValueFactory = _ => 2048 };
        var layerwise = new Option<bool>("--layerwise") { Description = "layerwise_scalings: one scaling per adapted module and expert (default: one per expert)." };
        var noSoftmax = new Option<bool>("--no-softmax") { Description = "enable_softmax false: raw gate outputs as scalings." };
        var temperature = new Option<float>("--temperature") { Description = "softmax_temperature T (softmax(logits / T)).", DefaultValueFactory = _ => 1f };
        var topK = new Option<int?>("--top-k") { Description = "top_k_lora: keep the k largest scalings per token and module; the other experts are not computed." };
        var softmaxTopK = new Option<bool>("--softmax-topk") { Description = "enable_softmax_topk: softmax over the kept scalings." };
        var scalingPass = new Option<string>("--scaling-pass-value") { Description = "scaling_pass_value c (expert weight in the first pass; 0 = the base model; 'inv-n' = 1/n).", DefaultValueFactory = _ => "0" };
        var global = new Option<float>("--global-weight") { Description = "global_scaling_weight g.", DefaultValueFactory = _ => 1f };
        var gateDropout = new Option<float>("--gate-dropout") { Description = "xlora_dropout_p (after hidden gate layers, training only).", DefaultValueFactory = _ => 0.2f };
        var noRelu = new Option<bool>("--no-relu-dropout") { Description = "enable_relu_and_dropout false: a purely linear gate stack." };
        var trainableAdapters = new Option<bool>("--trainable-adapters") { Description = "use_trainable_adapters: train the experts' factors with the gate." };
        var init = new Option<string>("--init") { Description = "Gate init: default (PyTorch Linear) or zero-last (uniform scalings at the start).", DefaultValueFactory = _ => "default" };
        var entropy = new Option<double>("--entropy-bonus") { Description = "β: subtract β·mean entropy of the scalings from the loss (0 = off).", DefaultValueFactory = _ => 0 };
        var balance = new Option<double>("--load-balance") { Description = "γ: add γ·KL(mean scalings ‖ uniform) to the loss (0 = off).", DefaultValueFactory = _ => 0 };
        var layout = new Option<string>("--layout") { Description = "Output layout: original (xlora_config.json + xlora_classifier.safetensors + experts) or peft (adapter_config.json, peft_type XLORA).", DefaultValueFactory = _ => "original" };
        var threads = new Option<int?>("--threads", "-t") { Description = "Worker threads (default: all cores)." };
        var json = new Option<bool>("--json") { Description = "Plain progress lines on stderr and a JSON summary on stdout." };
        init.AcceptOnlyFromAmong("default", "zero-last");
        layout.AcceptOnlyFromAmong("original", "peft");
        var training = new TrainingCliOptions(learningRate: 1e-4, schedule: "constant", maxGradNorm: 0.3);
        var cmd = new Command("train", "Train an X-LoRA gate over frozen LoRA experts (next-token loss of the real pass); writes an X-LoRA directory, checkpoints and metrics.jsonl.");
        foreach (var o in new Option[] { model, adapters, depth, size, layerwise, noSoftmax, temperature, topK, softmaxTopK, scalingPass, global, gateDropout, noRelu, trainableAdapters, init, entropy, balance, layout, threads, json })
        {
            cmd.Add(o);
        }
        training.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(threads) is { } t) Engine.Threads = t >= 1 ? t : throw new ArgumentException($"--threads must be ≥ 1 (got {t})");
            var knobs = new Knobs(pr.GetValue(depth), pr.GetValue(size), pr.GetValue(layerwise), pr.GetValue(noSoftmax), pr.GetValue(temperature), pr.GetValue(topK),
                pr.GetValue(softmaxTopK), pr.GetValue(scalingPass)!, pr.GetValue(global), pr.GetValue(gateDropout), pr.GetValue(noRelu), pr.GetValue(trainableAdapters),
                pr.GetValue(init)!, pr.GetValue(entropy), pr.GetValue(balance), pr.GetValue(layout)!);
            return Execute(pr.GetValue(model)!, [.. pr.GetValue(adapters)!.Select(ParseExpert)], knobs, training.Bind(pr), pr.GetValue(json));
        });
        return cmd;
    }

    /// <summary>NAME=DIR, or DIR named after its folder.</summary>
    internal static KeyValuePair<string, string> ParseExpert(string value)
    {
        int eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0 && !Directory.Exists(value)) return new(value[..eq], value[(eq + 1)..]);
        return new(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(value))), value);
    }

    private static int Execute(string modelDir, IReadOnlyList<KeyValuePair<string, string>> experts, Knobs k, TrainingArgs args, bool json)
    {
        if (!Directory.Exists(modelDir)) throw new DirectoryNotFoundException($"model directory not found: {modelDir}");
        var model = CausalLm.Load(modelDir, LoadOptions.Default with { DType = DTypePolicy.F32 });
        var loaded = new List<LoraAdapter>();
        XLoraModel xl;
        try
        {
            foreach (var (name, dir) in experts) loaded.Add(PeftFormat.Load(dir, name));
            var config = new XLoraConfig
            {
                HiddenSize = model.Info.HiddenSize,
                BaseModelId = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir))),
                Adapters = experts,
                XLoraDepth = k.Depth,
                XLoraSize = k.Size,
                LayerwiseScalings = k.Layerwise,
                EnableSoftmax = !k.NoSoftmax,
                SoftmaxTemperature = k.Temperature,
                TopKLora = k.TopK,
                EnableSoftmaxTopK = k.SoftmaxTopK,
                ScalingPassValue = k.ScalingPassValue == "inv-n" ? null : float.Parse(k.ScalingPassValue, CultureInfo.InvariantCulture),
                GlobalScalingWeight = k.GlobalWeight,
                XLoraDropoutP = k.GateDropout,
                EnableReluAndDropout = !k.NoReluDropout,
                UseTrainableAdapters = k.TrainableAdapters,
            };
            xl = new XLoraModel(model, config, loaded, null, null, k.Init == "zero-last" ? XLoraGateInit.ZeroLast : XLoraGateInit.Default, (int)(args.Trainer.Seed & 0x7FFFFFFF));
        }
        catch
        {
            foreach (var a in loaded) a.Dispose();
            model.Dispose();
            throw;
        }
        using (xl)
        {
            var layout = k.Layout == "peft" ? XLoraLayout.Peft : XLoraLayout.Original;
            var trainable = new XLoraTrainable(xl, (m, dir) => XLoraFormat.Save(m, dir, layout), new XLoraRegularizers(k.EntropyBonus, k.LoadBalance));
            var tokenizer = Tokenizer.FromDirectory(modelDir);
            var data = TrainingData.Load(args.DataFiles, tokenizer, args.Data, args.Validation, args.SplitSeed);
            if (data.Train.Count == 0) throw new ArgumentException($"no training sequences in {string.Join(", ", args.DataFiles)} after the split and length policy");
            var source = data.CreateTrainSource(args.BatchSize, args.Trainer.Seed);
            Func<IEnumerable<TrainingBatch>>? validation = data.Validation.Count > 0 ? () => data.ValidationBatches(args.BatchSize) : null;
            var options = validation is null ? args.Trainer with { BestCheckpoint = BestCheckpointPolicy.None, Export = ArtifactExport.Final } : args.Trainer;
            long gateParams = xl.Classifier.ParameterCount;
            Console.Error.WriteLine($"xlora train: {model.Info.Architecture}, {xl.Config.ExpertCount} experts over {xl.Layers.Count} modules "
                + $"({string.Join(", ", xl.ExpertModuleCounts.Select(p => $"{p.Key}: {p.Value}"))}); gate depth {k.Depth}{(k.Layerwise ? ", layerwise" : "")}, "
                + $"{trainable.TrainableParameters.Sum(p => p.Param.Numel):N0} trainable parameters; {data.Train.Count} training / {data.Validation.Count} validation sequences"
                + (trainable.Regularizers.IsActive ? $"; regularisers: entropy bonus {k.EntropyBonus}, load balance {k.LoadBalance}" : ""));
            foreach (var w in xl.Warnings) Console.Error.WriteLine($"warning: {w}");
            var summary = TrainingConsole.Run(trainable, source, validation, options, json, "training gate");
            var report = TrainingConsole.Report(summary);
            report["xlora"] = summary.ArtifactDirectory;
            report["last_checkpoint"] = summary.LastCheckpoint;
            report["seconds"] = Math.Round(summary.ElapsedSeconds, 2);
            report["experts"] = xl.Config.AdapterNames;
            report["adapted_modules"] = xl.Layers.Count;
            report["gate_parameters"] = gateParams;
            report["trainable_parameters"] = trainable.TrainableParameters.Sum(p => p.Param.Numel);
            return TrainingConsole.Print(report, summary, json);
        }
    }
}

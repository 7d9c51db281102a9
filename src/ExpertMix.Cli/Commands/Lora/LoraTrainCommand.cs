// `expertmix lora train`: train a LoRA expert on JSONL data with the shared trainer; writes a PEFT adapter.
using System.CommandLine;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Cli.Commands.Training;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands.Lora;

/// <summary>The `lora train` verb.</summary>
public static class LoraTrainCommand
{
    /// <summary>PEFT's default targets per model_type (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).</summary>
    public static TargetModules DefaultTargets(string modelType) => modelType switch
    {
        "gpt2" => TargetModules.List(["c_attn"]),
        _ => TargetModules.List(["q_proj", "v_proj"]),
    };

    /// <summary>Creates `lora train`.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Base model directory (Hugging Face layout).", Required = true };
        var rank = new Option<int>("--rank", "-r") { Description = "LoRA rank r.", DefaultValueFactory = _ => 8 };
        var alpha = new Option<float?>("--alpha") { Description = "lora_alpha (default 2r)." };
        var targets = new Option<string?>("--targets") { Description = "Target modules: suffix list (q_proj,v_proj), re:REGEX, or all-linear (default: PEFT's per-architecture default)." };
        var dropout = new Option<float>("--dropout") { Description = "LoRA dropout on the adapter input.", DefaultValueFactory = _ => 0f };
        var rslora = new Option<bool>("--rslora") { Description = "rsLoRA scaling α/√r." };
        var init = new Option<string>("--init") { Description = "default (A Kaiming-uniform, B = 0), gaussian, or random (B random too).", DefaultValueFactory = _ => "default" };
        var threads = new Option<int?>("--threads", "-t") { Description = "Worker threads (default: all cores)." };
        var json = new Option<bool>("--json") { Description = "Plain progress lines on stderr and a JSON summary on stdout." };
        init.AcceptOnlyFromAmong("default", "gaussian", "random");
        var training = new TrainingCliOptions();
        var cmd = new Command("train", "Train a LoRA adapter on JSONL data (text, prompt/completion or chat messages) on a frozen base model; writes a PEFT adapter, checkpoints and metrics.jsonl.");
        foreach (var o in new Option[] { model, rank, alpha, targets, dropout, rslora, init, threads, json }) cmd.Add(o);
        training.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(threads) is { } t) Engine.Threads = t >= 1 ? t : throw new ArgumentException($"--threads must be ≥ 1 (got {t})");
            int r = pr.GetValue(rank);
            var lora = new LoraConfig
            {
                Rank = r,
                Alpha = pr.GetValue(alpha) ?? 2f * r,
                UseRsLora = pr.GetValue(rslora),
                Dropout = pr.GetValue(dropout),
                TargetModules = pr.GetValue(targets) is { } tm ? TargetModules.Parse(tm) : TargetModules.List(["__default__"]),
                Init = pr.GetValue(init) switch { "gaussian" => LoraInit.Gaussian, "random" => LoraInit.Random, _ => LoraInit.Default },
                BaseModelNameOrPath = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(pr.GetValue(model)!))),
            };
            return Execute(pr.GetValue(model)!, lora, pr.GetValue(targets) is null, training.Bind(pr), pr.GetValue(json));
        });
        return cmd;
    }

    private static int Execute(string modelDir, LoraConfig lora, bool defaultTargets, TrainingArgs args, bool json)
    {
        if (!Directory.Exists(modelDir)) throw new DirectoryNotFoundException($"model directory not found: {modelDir}");
        using var model = CausalLm.Load(modelDir, LoadOptions.Default with { DType = DTypePolicy.F32 });
        if (defaultTargets) lora = lora with { TargetModules = DefaultTargets(model.Info.ModelType) };
        var tokenizer = Tokenizer.FromDirectory(modelDir);
        var data = TrainingData.Load(args.DataFiles, tokenizer, args.Data, args.Validation, args.SplitSeed);
        if (data.Train.Count == 0) throw new ArgumentException($"no training sequences in {string.Join(", ", args.DataFiles)} after the split and length policy");
        using var host = new LoraHost(model);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(args.Trainer.OutputDirectory)));
        var adapter = host.CreateAdapter(name, lora, new Rng(args.Trainer.Seed ^ 0x5EED_10AAUL));
        var trainable = new LoraTrainable(host, adapter);
        var source = data.CreateTrainSource(args.BatchSize, args.Trainer.Seed);
        Func<IEnumerable<TrainingBatch>>? validation = data.Validation.Count > 0 ? () => data.ValidationBatches(args.BatchSize) : null;
        var options = validation is null ? args.Trainer with { BestCheckpoint = BestCheckpointPolicy.None, Export = ArtifactExport.Final } : args.Trainer;
        Console.Error.WriteLine($"lora train: {model.Info.Architecture}, {adapter.Modules.Count} modules ({lora.TargetModules}), r={lora.Rank}, α={lora.Alpha}, "
            + $"{adapter.ParameterCount:N0} trainable parameters; {data.Train.Count} training / {data.Validation.Count} validation sequences"
            + (data.DroppedWithoutLoss > 0 ? $" ({data.DroppedWithoutLoss} without loss tokens dropped)" : ""));
        var summary = TrainingConsole.Run(trainable, source, validation, options, json, "training");
        var report = TrainingConsole.Report(summary);
        report["adapter"] = summary.ArtifactDirectory;
        report["last_checkpoint"] = summary.LastCheckpoint;
        report["seconds"] = Math.Round(summary.ElapsedSeconds, 2);
        report["trainable_parameters"] = adapter.ParameterCount;
        return TrainingConsole.Print(report, summary, json);
    }
}

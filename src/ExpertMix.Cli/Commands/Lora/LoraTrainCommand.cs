// `expertmix lora train`: train a LoRA expert on JSONL data with the shared trainer; writes a PEFT adapter.
using System.CommandLine;
using ExpertMix.Adapters.Lora;
using ExpertMix.Cli.Commands.Training;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands.Lora;

/// <summary>The `lora train` verb.</summary>
internal static class LoraTrainCommand
{
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
        if (defaultTargets) lora = lora with { TargetModules = TargetModules.PeftDefault(model.Info.ModelType) };
        var options = new LoraTrainingOptions { Lora = lora, Trainer = args.Trainer, Data = args.Data, Validation = args.Validation, SplitSeed = args.SplitSeed, BatchSize = args.BatchSize };
        using var run = LoraTrainingRun.Create(model, Tokenizer.FromDirectory(modelDir), args.DataFiles, options);
        var adapter = run.Adapter;
        Console.Error.WriteLine($"lora train: {model.Info.Architecture}, {adapter.Modules.Count} modules ({adapter.Config.TargetModules}), r={lora.Rank}, α={lora.Alpha}, "
            + $"{adapter.ParameterCount:N0} trainable parameters; {run.Data.Train.Count} training / {run.Data.Validation.Count} validation sequences"
            + (run.Data.DroppedWithoutLoss > 0 ? $" ({run.Data.DroppedWithoutLoss} without loss tokens dropped)" : ""));
        var summary = TrainingConsole.Run(observer => run.Run(observer), json, "training");
        var report = TrainingConsole.Report(summary);
        report["adapter"] = summary.ArtifactDirectory;
        report["last_checkpoint"] = summary.LastCheckpoint;
        report["seconds"] = Math.Round(summary.ElapsedSeconds, 2);
        report["trainable_parameters"] = adapter.ParameterCount;
        return TrainingConsole.Print(report, summary, json);
    }
}

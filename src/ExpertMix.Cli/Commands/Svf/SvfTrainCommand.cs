// `expertmix svf train`: train an SVF expert by next-token loss (sft) or policy gradients on a task verifier.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Svf.Training;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Cli.Commands.Training;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>The `svf train` verb.</summary>
internal static class SvfTrainCommand
{
    /// <summary>Everything one parse yields.</summary>
    internal sealed record Args(string Model, string Data, string? Dev, string Task, string Mode, string Out, string Targets, int? Iterations, int? Batch, int? Group,
        double? Kl, double Lr, double Clip, int? MaxNewTokens, ulong Seed, string? Resume, bool Json, string Advantage, int EvalEvery, float? Temperature,
        string Format, string? Basis, int MaxLength, double CodeTimeout)
    {
        /// <summary>An expert whose p starts the run instead of the §5 initialisation (e.g. policy training after sft).</summary>
        public string? Init { get; init; }
    }

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Base model directory (Hugging Face layout, with tokenizer).", Required = true };
        var data = new Option<string>("--data", "-d") { Description = "Training data: the task's file (or gsm8k directory); for sft a JSONL of prompt/completion, messages or text rows, or a gsm8k/arc/mbpp/pubmedqa source file.", Required = true };
        var dev = new Option<string?>("--dev") { Description = "Dev data for selection (default: gsm8k odd train rows, else a seeded 10% hold-out of --data)." };
        var task = new Option<string>("--task") { Description = "The verifier: gsm8k, arc, pubmedqa, mbpp, humaneval, mc-jsonl, qa-jsonl; or sft (plain JSONL for --mode sft).", Required = true };
        task.AcceptOnlyFromAmong("gsm8k", "arc", "pubmedqa", "mbpp", "humaneval", "mc-jsonl", "qa-jsonl", "sft");
        var mode = new Option<string>("--mode") { Description = "sft (next-token loss on completions), reinforce (faithful §7.1: greedy, ±1, summed log-prob) or grpo (default §7.2: G sampled completions, RLOO, KL to the base).", DefaultValueFactory = _ => "grpo" };
        mode.AcceptOnlyFromAmong("sft", "reinforce", "grpo");
        var outDir = new Option<string>("--out", "-o") { Description = "Run folder: checkpoints/, metrics.jsonl, svf-basis.safetensors and the trained expert (expert/).", Required = true };
        var targets = new Option<string>("--targets") { Description = "Adapted matrices: mlp (gate/up/down), attention (q/v) or all.", DefaultValueFactory = _ => "mlp" };
        targets.AcceptOnlyFromAmong("mlp", "attention", "all");
        var iterations = new Option<int?>("--iterations") { Description = "Policy iterations, or optimizer steps in sft (default 200)." };
        var batch = new Option<int?>("--batch") { Description = "Prompts per iteration (default 256), or sequences per step in sft (default 8)." };
        var group = new Option<int?>("--group") { Description = "Completions per prompt in grpo mode (default 4)." };
        var kl = new Option<double?>("--kl") { Description = "KL coefficient (grpo default 0.1 on KL(π_W'‖π_W); reinforce default 0, KL(π_W‖π_W') as the reference)." };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 2e-3 };
        var clip = new Option<double>("--clip") { Description = "Global gradient-norm clip of all p (0 = off).", DefaultValueFactory = _ => 1e-3 };
        var maxNew = new Option<int?>("--max-new-tokens") { Description = "Rollout length limit (default: the task's, 512 for most)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial p, prompt sampling and rollouts.", DefaultValueFactory = _ => 42 };
        var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint folder, or 'latest' in --out (same options required)." };
        var json = new Option<bool>("--json") { Description = "Plain progress lines on stderr and a JSON summary on stdout." };
        var advantage = new Option<string>("--advantage") { Description = "grpo mode baseline: rloo (leave-one-out) or grpo ((r − mean)/std).", DefaultValueFactory = _ => "rloo" };
        advantage.AcceptOnlyFromAmong("rloo", "grpo");
        var evalEvery = new Option<int>("--eval-every") { Description = "Dev evaluation (and checkpoint) every N iterations.", DefaultValueFactory = _ => 10 };
        var temperature = new Option<float?>("--temperature") { Description = "Rollout sampling temperature (reinforce 0 = greedy, grpo 1)." };
        var format = new Option<string>("--prompt-format") { Description = "raw text or the model's chat template.", DefaultValueFactory = _ => "raw" };
        format.AcceptOnlyFromAmong("raw", "chat");
        var basis = new Option<string?>("--basis") { Description = "SVD basis cache (default: OUT/svf-basis.safetensors; computed once)." };
        var maxLength = new Option<int>("--max-length") { Description = "sft: tokens per sequence.", DefaultValueFactory = _ => 512 };
        var codeTimeout = new Option<double>("--code-timeout") { Description = "Seconds per program for code rewards (mbpp, humaneval).", DefaultValueFactory = _ => 10 };
        var init = new Option<string?>("--init") { Description = "Start from this expert's p (same basis and targets) instead of the §5 initialisation, e.g. a policy run after sft." };
        var threads = new Option<int?>("--threads", "-t") { Description = "Worker threads (default: all cores)." };
        var cmd = new Command("train", "Train an SVF expert: only the singular-value scales p of the target matrices learn. sft uses the next-token loss; reinforce/grpo use policy gradients on the task verifier's ±1 reward, keeping the best-dev checkpoint.");
        foreach (var o in new Option[] { model, data, dev, task, mode, outDir, targets, iterations, batch, group, kl, lr, clip, maxNew, seed, resume, json, advantage, evalEvery, temperature, format, basis, maxLength, codeTimeout, init, threads })
        {
            cmd.Add(o);
        }
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(threads) is { } t) Engine.Threads = t >= 1 ? t : throw new UserErrorException($"--threads must be ≥ 1 (got {t})");
            var args = new Args(pr.GetValue(model)!, pr.GetValue(data)!, pr.GetValue(dev), pr.GetValue(task)!, pr.GetValue(mode)!, pr.GetValue(outDir)!, pr.GetValue(targets)!,
                pr.GetValue(iterations), pr.GetValue(batch), pr.GetValue(group), pr.GetValue(kl), pr.GetValue(lr), pr.GetValue(clip), pr.GetValue(maxNew), pr.GetValue(seed),
                pr.GetValue(resume), pr.GetValue(json), pr.GetValue(advantage)!, pr.GetValue(evalEvery), pr.GetValue(temperature), pr.GetValue(format)!, pr.GetValue(basis),
                pr.GetValue(maxLength), pr.GetValue(codeTimeout)) { Init = pr.GetValue(init) };
            return Execute(args);
        });
        return cmd;
    }

    private static int Execute(Args a)
    {
        if (!Directory.Exists(a.Model)) throw new UserErrorException($"model directory not found: {a.Model}");
        if (!File.Exists(a.Data) && !Directory.Exists(a.Data)) throw new UserErrorException($"--data not found: {a.Data}");
        if (a.Dev is not null && !File.Exists(a.Dev) && !Directory.Exists(a.Dev)) throw new UserErrorException($"--dev not found: {a.Dev}");
        if (a.Mode != "sft" && a.Task == "sft") throw new UserErrorException($"--mode {a.Mode} needs a task with a verifier (gsm8k, arc, pubmedqa, mbpp, humaneval, mc-jsonl, qa-jsonl), not sft");
        Directory.CreateDirectory(a.Out);
        string root = TrainerCheckpoints.Root(a.Out);
        if (a.Resume is null && Directory.Exists(root) && Directory.EnumerateDirectories(root).Any())
        {
            throw new UserErrorException($"{root} already holds checkpoints; continue with --resume latest (same options) or choose another --out");
        }
        var model = CausalLm.Load(a.Model, LoadOptions.Default with { DType = DTypePolicy.F32 });
        using (model)
        {
            var targets = a.Targets switch { "attention" => SvfTargets.Attention, "all" => SvfTargets.MlpAndAttention, _ => SvfTargets.Mlp };
            string baseName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a.Model)));
            string basisPath = a.Basis ?? Path.Combine(a.Out, SvfBasis.FileName);
            if (!a.Json) Console.Error.WriteLine($"svf train: {(File.Exists(basisPath) ? "loading" : "computing")} the SVD basis {basisPath}");
            using var basis = SvfBasis.LoadOrDecompose(basisPath, model, targets, baseName);
            using var expert = SvfExpert.CreateInitial(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a.Out))), basis, new Rng(a.Seed));
            if (a.Init is not null) StartFrom(a.Init, basis, expert);
            using var host = new SvfHost(model, basis);
            long parameters = expert.Parameters.Sum(p => (long)p.P.Numel);
            var report = a.Mode == "sft" ? TrainSft(a, model, host, expert) : TrainPolicy(a, model, host, expert);
            report["mode"] = a.Mode;
            report["task"] = a.Task;
            report["targets"] = basis.Matrices.Count;
            report["trainable_parameters"] = parameters;
            bool diverged = report["status"] as string == "diverged";
            if (a.Json)
            {
                Console.WriteLine(CliJson.Serialize(report));
            }
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("", "");
                table.ShowHeaders = false;
                foreach (var (key, v) in report) table.AddRow(Markup.Escape(key), Markup.Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "–"));
                AnsiConsole.Write(table);
            }
            return diverged ? 1 : 0;
        }
    }

    /// <summary>Copies the p of the expert in <paramref name="directory"/> (checked against the basis) into <paramref name="expert"/>.</summary>
    private static void StartFrom(string directory, SvfBasis basis, SvfExpert expert)
    {
        if (!Directory.Exists(directory)) throw new UserErrorException($"--init: expert directory not found: {directory}");
        using var init = SvfExpert.Load(directory, basis);
        foreach (var (name, p) in expert.Parameters)
        {
            var source = init.Find(name) ?? throw new UserErrorException($"--init: {directory} has no vector for {name} (it adapts other matrices)");
            if (source.Numel != p.Numel) throw new UserErrorException($"--init: {directory}: {name} has {source.Numel} values, the basis rank is {p.Numel}");
            source.Span.CopyTo(p.Span);
        }
    }

    private static Dictionary<string, object?> TrainSft(Args a, ICausalLm model, SvfHost host, SvfExpert expert)
    {
        var tokenizer = Tokenizer.FromDirectory(a.Model);
        string train = Convertible(a.Task, a.Data, Path.Combine(a.Out, "sft-train.jsonl"));
        var options = new DataOptions { MaxLength = a.MaxLength, Loss = LossScope.Completion, Eos = tokenizer.EosId is null ? EosPolicy.None : EosPolicy.Append };
        var data = TrainingData.Load([train], tokenizer, options, a.Dev is null ? ValidationSize.OfFraction(0.1) : ValidationSize.None, a.Seed);
        IReadOnlyList<TokenizedExample> validation = data.Validation;
        TrainingData? devData = null;
        if (a.Dev is not null)
        {
            devData = TrainingData.Load([Convertible(a.Task, a.Dev, Path.Combine(a.Out, "sft-dev.jsonl"))], tokenizer, options, ValidationSize.None, a.Seed);
            validation = devData.Train;
        }
        if (data.Train.Count == 0) throw new UserErrorException($"no training sequences in {a.Data}");
        int batch = a.Batch ?? 8;
        Func<IEnumerable<TrainingBatch>>? val = validation.Count == 0 ? null : () => JsonlBatchSource.InOrder(validation, data.BatchOptions(batch, 0));
        var trainer = new TrainerOptions
        {
            OutputDirectory = a.Out,
            MaxSteps = a.Iterations ?? 200,
            LearningRate = a.Lr,
            Schedule = LrScheduleKind.Constant,
            MaxGradNorm = a.Clip,
            EvalEvery = a.EvalEvery,
            SaveEvery = a.EvalEvery,
            Seed = a.Seed,
            Resume = a.Resume,
            ArtifactDirectory = Path.Combine(a.Out, "expert"),
            BestCheckpoint = val is null ? BestCheckpointPolicy.None : BestCheckpointPolicy.ValidationLoss,
            Export = val is null ? ArtifactExport.Final : ArtifactExport.Best,
        };
        var trainable = new SvfTrainable(model, host, expert) { Seed = a.Seed };
        if (!a.Json) Console.Error.WriteLine($"svf train (sft): {data.Train.Count} training / {validation.Count} dev sequences, {trainable.TrainableParameters.Sum(p => p.Param.Numel):N0} trainable parameters");
        var summary = TrainingConsole.Run(trainable, data.CreateTrainSource(batch, a.Seed), val, trainer, a.Json, "training SVF (sft)");
        var report = TrainingConsole.Report(summary);
        report["expert"] = summary.ArtifactDirectory;
        report["last_checkpoint"] = summary.LastCheckpoint;
        report["seconds"] = Math.Round(summary.ElapsedSeconds, 2);
        return report;
    }

    // sft on a task's source file: convert it with the training converters first (JSONL rows pass through).
    private static string Convertible(string task, string path, string converted)
    {
        if (!DatasetConverters.Names.Contains(task)) return path;
        string source = Directory.Exists(path) && task == "gsm8k" ? Path.Combine(path, "train.jsonl") : path;
        DatasetConverters.Convert(task, source, converted);
        return converted;
    }

    private static Dictionary<string, object?> TrainPolicy(Args a, ICausalLm model, SvfHost host, SvfExpert expert)
    {
        var runner = new CodeRunner(new CodeRunnerOptions { Timeout = TimeSpan.FromSeconds(a.CodeTimeout) });
        var task = EvalTasks.Get(a.Task, runner);
        IReadOnlyList<EvalExample> train, dev;
        try
        {
            (train, dev) = SvfTrainData.Load(task, a.Data, a.Dev, a.Seed);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or FormatException)
        {
            throw new UserErrorException(e.Message, e);
        }
        if (train.Count == 0) throw new UserErrorException($"{a.Data}: no {task.Name} training examples");
        var mode = a.Mode == "reinforce" ? SvfPolicyMode.Faithful : SvfPolicyMode.Default;
        var d = SvfPolicyOptions.For(mode, a.Out);
        var options = d with
        {
            Iterations = a.Iterations ?? 200,
            BatchSize = a.Batch ?? 256,
            GroupSize = mode == SvfPolicyMode.Faithful ? 1 : a.Group ?? d.GroupSize,
            KlCoefficient = a.Kl ?? d.KlCoefficient,
            Temperature = a.Temperature ?? d.Temperature,
            Advantage = a.Advantage == "grpo" ? SvfAdvantage.Grpo : SvfAdvantage.Rloo,
            LearningRate = a.Lr,
            MaxGradNorm = a.Clip,
            MaxNewTokens = a.MaxNewTokens,
            EvalEvery = a.EvalEvery,
            Seed = a.Seed,
            Resume = a.Resume,
        };
        var generator = Generator.ForDirectory(model, a.Model);
        var trainer = new SvfPolicyTrainer(generator, host, expert, task, train, dev, options, a.Format == "chat" ? PromptFormat.Chat : PromptFormat.Raw);
        if (!a.Json)
        {
            Console.Error.WriteLine($"svf train ({a.Mode}): {task.Name}, {train.Count} training / {dev.Count} dev examples; B {Math.Min(options.BatchSize, train.Count)}, G {options.GroupSize}, "
                + $"KL {options.KlCoefficient.ToString(CultureInfo.InvariantCulture)}, max new tokens {trainer.MaxNewTokens}");
        }
        var summary = SvfPolicyConsole.Run(trainer, a.Json);
        return new Dictionary<string, object?>
        {
            ["status"] = summary.Status.ToString().ToLowerInvariant(),
            ["message"] = summary.Message,
            ["iterations"] = summary.Iterations,
            ["total_iterations"] = summary.TotalIterations,
            ["last_loss"] = double.IsFinite(summary.LastLoss) ? summary.LastLoss : null,
            ["best_dev_accuracy"] = summary.BestDevAccuracy,
            ["best_dev_loss"] = summary.BestDevLoss,
            ["best_iteration"] = summary.BestIteration,
            ["expert"] = summary.ExpertDirectory,
            ["last_checkpoint"] = summary.LastCheckpoint,
            ["train_examples"] = train.Count,
            ["dev_examples"] = dev.Count,
            ["seconds"] = Math.Round(summary.ElapsedSeconds, 2),
        };
    }
}

// The data and trainer options every training verb shares (lora train now; X-LoRA and SVF training reuse them).
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;

namespace ExpertMix.Cli.Commands.Training;

/// <summary>What one parse of the shared training options yields.</summary>
/// <param name="DataFiles">JSONL files.</param>
/// <param name="Data">Tokenisation and length options.</param>
/// <param name="Validation">Validation split size.</param>
/// <param name="SplitSeed">Seed of the split.</param>
/// <param name="BatchSize">Sequences per micro-batch.</param>
/// <param name="Trainer">Trainer options.</param>
internal sealed record TrainingArgs(IReadOnlyList<string> DataFiles, DataOptions Data, ValidationSize Validation, ulong SplitSeed, int BatchSize, TrainerOptions Trainer);

/// <summary>--data, --max-length, --length, --loss, --validation, --batch-size, the optimiser/schedule and checkpoint options.</summary>
internal sealed class TrainingCliOptions
{
    private readonly Option<string[]> _data = new("--data", "-d") { Description = "Training JSONL ({\"text\"}, {\"prompt\",\"completion\"} or {\"messages\"} rows); repeatable.", Required = true };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Output directory: checkpoints/, metrics.jsonl and the trained adapter (adapter/).", Required = true };
    private readonly Option<int> _maxLength = new("--max-length") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 512 };
    private readonly Option<string> _length = new("--length") { Description = "truncate (pad each batch to its longest), pad (to --max-length) or pack (join examples into --max-length blocks).", DefaultValueFactory = _ => "truncate" };
    private readonly Option<string> _loss = new("--loss-on") { Description = "completion (prompt and non-assistant tokens masked) or all.", DefaultValueFactory = _ => "completion" };
    private readonly Option<string> _validation = new("--validation") { Description = "Validation split: a fraction (< 1) or a row count.", DefaultValueFactory = _ => "0.1" };
    private readonly Option<ulong> _splitSeed = new("--split-seed") { Description = "Seed of the train/validation split.", DefaultValueFactory = _ => 42 };
    private readonly Option<int> _batch = new("--batch-size", "-b") { Description = "Sequences per micro-batch.", DefaultValueFactory = _ => 8 };
    private readonly Option<int> _accum = new("--grad-accum") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 };
    private readonly Option<double> _epochs = new("--epochs") { Description = "Epochs (used when --max-steps is 0).", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _maxSteps = new("--max-steps") { Description = "Optimizer steps (0 = from --epochs).", DefaultValueFactory = _ => 0 };
    private readonly Option<double> _lr = new("--lr") { Description = "Peak learning rate (AdamW).", DefaultValueFactory = _ => 2e-4 };
    private readonly Option<string> _schedule = new("--schedule") { Description = "constant, linear or cosine decay after warm-up.", DefaultValueFactory = _ => "linear" };
    private readonly Option<int> _warmup = new("--warmup") { Description = "Linear warm-up steps.", DefaultValueFactory = _ => 0 };
    private readonly Option<double> _wd = new("--weight-decay") { Description = "AdamW decoupled weight decay.", DefaultValueFactory = _ => 0 };
    private readonly Option<double> _clip = new("--max-grad-norm") { Description = "Clip the global gradient norm (0 = off).", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _evalEvery = new("--eval-every") { Description = "Validate every N steps (0 = only at the end).", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _saveEvery = new("--save-every") { Description = "Checkpoint every N steps (0 = only at the end).", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _keep = new("--keep-checkpoints") { Description = "Step checkpoints kept (plus best/).", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _patience = new("--early-stopping") { Description = "Stop after N evaluations without improvement (0 = off).", DefaultValueFactory = _ => 0 };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed of shuffling, dropout and initialisation.", DefaultValueFactory = _ => 42 };
    private readonly Option<string?> _resume = new("--resume") { Description = "Continue from a checkpoint directory, or 'latest' in --out (same options required)." };
    private readonly Option<string> _export = new("--export") { Description = "Which weights become the adapter: best (lowest validation loss) or final.", DefaultValueFactory = _ => "best" };

    /// <summary>The shared options with LoRA's defaults (lr 2e-4, linear decay, clip 1).</summary>
    public TrainingCliOptions()
        : this(2e-4, "linear", 1)
    {
    }

    /// <summary>The shared options with another verb's defaults for the learning rate, schedule and clipping.</summary>
    public TrainingCliOptions(double learningRate, string schedule, double maxGradNorm)
    {
        _lr.DefaultValueFactory = _ => learningRate;
        _schedule.DefaultValueFactory = _ => schedule;
        _clip.DefaultValueFactory = _ => maxGradNorm;
        _length.AcceptOnlyFromAmong("truncate", "pad", "pack");
        _loss.AcceptOnlyFromAmong("completion", "all");
        _schedule.AcceptOnlyFromAmong("constant", "linear", "cosine");
        _export.AcceptOnlyFromAmong("best", "final");
    }

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _data, _out, _maxLength, _length, _loss, _validation, _splitSeed, _batch, _accum, _epochs, _maxSteps, _lr, _schedule, _warmup, _wd, _clip, _evalEvery, _saveEvery, _keep, _patience, _seed, _resume, _export })
        {
            command.Add(o);
        }
    }

    /// <summary>The typed values of one parse.</summary>
    /// <exception cref="ArgumentException">An invalid --validation.</exception>
    public TrainingArgs Bind(ParseResult pr)
    {
        string v = pr.GetValue(_validation)!;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double vv) || vv < 0) throw new ArgumentException($"--validation {v}: expected a fraction in [0, 1) or a row count");
        var validation = vv < 1 ? ValidationSize.OfFraction(vv) : ValidationSize.OfCount((int)vv);
        var data = new DataOptions
        {
            MaxLength = pr.GetValue(_maxLength),
            Length = pr.GetValue(_length) switch { "pad" => LengthPolicy.Pad, "pack" => LengthPolicy.Pack, _ => LengthPolicy.Truncate },
            Loss = pr.GetValue(_loss) == "all" ? LossScope.All : LossScope.Completion,
        };
        var trainer = new TrainerOptions
        {
            OutputDirectory = pr.GetValue(_out)!,
            MaxSteps = pr.GetValue(_maxSteps),
            Epochs = pr.GetValue(_maxSteps) > 0 ? 0 : pr.GetValue(_epochs),
            LearningRate = pr.GetValue(_lr),
            Schedule = pr.GetValue(_schedule) switch { "constant" => LrScheduleKind.Constant, "cosine" => LrScheduleKind.Cosine, _ => LrScheduleKind.Linear },
            WarmupSteps = pr.GetValue(_warmup),
            WeightDecay = pr.GetValue(_wd),
            GradientAccumulationSteps = pr.GetValue(_accum),
            MaxGradNorm = pr.GetValue(_clip),
            EvalEvery = pr.GetValue(_evalEvery),
            SaveEvery = pr.GetValue(_saveEvery),
            KeepLastCheckpoints = pr.GetValue(_keep),
            EarlyStoppingPatience = pr.GetValue(_patience),
            Seed = pr.GetValue(_seed),
            Resume = pr.GetValue(_resume),
            Export = pr.GetValue(_export) == "final" ? ArtifactExport.Final : ArtifactExport.Best,
        };
        return new TrainingArgs(pr.GetValue(_data)!, data, validation, pr.GetValue(_splitSeed), pr.GetValue(_batch), trainer);
    }
}

// Typed options of the shared trainer (LoRA, X-LoRA, SVF): length, optimizer, schedule, evaluation, checkpoints.
using System.Globalization;
using System.Text;

namespace ExpertMix.Adapters.Training;

/// <summary>The learning-rate schedule after the linear warm-up.</summary>
public enum LrScheduleKind
{
    /// <summary>Constant after warm-up (transformers' <c>get_constant_schedule_with_warmup</c>).</summary>
    Constant,

    /// <summary>Linear decay to <see cref="TrainerOptions.MinLrRatio"/>·lr at the last step (<c>get_linear_schedule_with_warmup</c>).</summary>
    Linear,

    /// <summary>Half-cosine decay to <see cref="TrainerOptions.MinLrRatio"/>·lr at the last step (<c>get_cosine_schedule_with_warmup</c>).</summary>
    Cosine,
}

/// <summary>Whether a separate best checkpoint is kept.</summary>
public enum BestCheckpointPolicy
{
    /// <summary>No best checkpoint; only the last <see cref="TrainerOptions.KeepLastCheckpoints"/> are kept.</summary>
    None,

    /// <summary>Keep <c>checkpoints/best/</c>: the state with the lowest validation loss seen so far.</summary>
    ValidationLoss,
}

/// <summary>Which weights are exported as the final artefact (e.g. the PEFT adapter).</summary>
public enum ArtifactExport
{
    /// <summary>The best checkpoint's artefact when one exists (see <see cref="BestCheckpointPolicy"/>), otherwise the final weights.</summary>
    Best,

    /// <summary>The weights after the last step.</summary>
    Final,
}

/// <summary>
/// Options of <see cref="Trainer.Run"/>. The run length is <see cref="MaxSteps"/> optimizer steps, or
/// ⌈<see cref="Epochs"/> · batches-per-epoch / <see cref="GradientAccumulationSteps"/>⌉ when only epochs are given;
/// with both, the smaller. One optimizer step consumes <see cref="GradientAccumulationSteps"/> micro-batches.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Run folder: holds <c>checkpoints/</c>, the metrics file and (by default) the exported <c>adapter/</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Optimizer steps to run (0 = derive from <see cref="Epochs"/>).</summary>
    public int MaxSteps { get; init; }

    /// <summary>Passes over the training data (0 = use <see cref="MaxSteps"/>); fractional values allowed.</summary>
    public double Epochs { get; init; }

    /// <summary>Peak learning rate (AdamW lr after warm-up).</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>Schedule after warm-up.</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;

    /// <summary>Linear warm-up steps: lr(step) = lr·step / warmup for step &lt; warmup (step 0 = first update).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Floor of the linear / cosine decay as a fraction of <see cref="LearningRate"/>, in [0, 1].</summary>
    public double MinLrRatio { get; init; }

    /// <summary>AdamW decoupled weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>AdamW β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>AdamW ε.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>Micro-batches per optimizer step; the step loss is their loss-token-weighted mean.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Global 2-norm clipping threshold (0 = no clipping; the norm is still measured and logged).</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Evaluate on the validation set every N steps (0 = only after the last step).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Write a checkpoint every N steps (0 = only at the end). A checkpoint is also written at the end.</summary>
    public int SaveEvery { get; init; }

    /// <summary>How many <c>step-N</c> checkpoints to keep (oldest deleted first); the best checkpoint is kept apart.</summary>
    public int KeepLastCheckpoints { get; init; } = 2;

    /// <summary>Whether to keep the checkpoint with the lowest validation loss.</summary>
    public BestCheckpointPolicy BestCheckpoint { get; init; } = BestCheckpointPolicy.ValidationLoss;

    /// <summary>Stop after this many evaluations in a row without improvement (0 = never stop early).</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>An evaluation improves when val_loss &lt; best − <see cref="EarlyStoppingMinDelta"/>.</summary>
    public double EarlyStoppingMinDelta { get; init; }

    /// <summary>Seed of the model's random stream (<see cref="ITrainable.Rng"/> is reset to <c>new Rng(Seed)</c> on a fresh start).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Metrics JSONL file name inside <see cref="OutputDirectory"/>.</summary>
    public string MetricsFileName { get; init; } = "metrics.jsonl";

    /// <summary>Where the final artefact goes (null = <c>OutputDirectory/adapter</c>).</summary>
    public string? ArtifactDirectory { get; init; }

    /// <summary>Which weights are exported to <see cref="ArtifactDirectory"/>.</summary>
    public ArtifactExport Export { get; init; } = ArtifactExport.Best;

    /// <summary>Resume from a checkpoint folder, or <c>"latest"</c> for the newest under <c>OutputDirectory/checkpoints</c> (null = fresh start).</summary>
    public string? Resume { get; init; }

    /// <summary>The value of <see cref="Resume"/> that picks the newest checkpoint.</summary>
    public const string ResumeLatest = "latest";

    /// <summary>Folder of the exported artefact.</summary>
    public string ResolvedArtifactDirectory => ArtifactDirectory ?? Path.Combine(OutputDirectory, "adapter");

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and what is expected.</summary>
    public void Validate()
    {
        static ArgumentException Bad(string name, object? value, string expected) =>
            new($"trainer option {name} = {Convert.ToString(value, CultureInfo.InvariantCulture)}: {expected}", name);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw Bad(nameof(OutputDirectory), OutputDirectory, "an output directory is required");
        if (MaxSteps < 0) throw Bad(nameof(MaxSteps), MaxSteps, "must be ≥ 0 (0 = derive from Epochs)");
        if (!(Epochs >= 0) || double.IsInfinity(Epochs)) throw Bad(nameof(Epochs), Epochs, "must be a finite number ≥ 0 (0 = use MaxSteps)");
        if (MaxSteps == 0 && Epochs == 0) throw Bad(nameof(MaxSteps), MaxSteps, "set MaxSteps and/or Epochs to a positive value");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw Bad(nameof(LearningRate), LearningRate, "must be a finite number > 0");
        if (!Enum.IsDefined(Schedule)) throw Bad(nameof(Schedule), Schedule, "unknown schedule kind");
        if (WarmupSteps < 0) throw Bad(nameof(WarmupSteps), WarmupSteps, "must be ≥ 0");
        if (!(MinLrRatio >= 0 && MinLrRatio <= 1)) throw Bad(nameof(MinLrRatio), MinLrRatio, "must be in [0, 1]");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw Bad(nameof(WeightDecay), WeightDecay, "must be a finite number ≥ 0");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw Bad(nameof(Beta1), Beta1, "must be in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw Bad(nameof(Beta2), Beta2, "must be in [0, 1)");
        if (!(Eps >= 0) || double.IsInfinity(Eps)) throw Bad(nameof(Eps), Eps, "must be a finite number ≥ 0");
        if (GradientAccumulationSteps < 1) throw Bad(nameof(GradientAccumulationSteps), GradientAccumulationSteps, "must be ≥ 1");
        if (!(MaxGradNorm >= 0) || double.IsInfinity(MaxGradNorm)) throw Bad(nameof(MaxGradNorm), MaxGradNorm, "must be a finite number ≥ 0 (0 = no clipping)");
        if (EvalEvery < 0) throw Bad(nameof(EvalEvery), EvalEvery, "must be ≥ 0 (0 = only at the end)");
        if (SaveEvery < 0) throw Bad(nameof(SaveEvery), SaveEvery, "must be ≥ 0 (0 = only at the end)");
        if (KeepLastCheckpoints < 1) throw Bad(nameof(KeepLastCheckpoints), KeepLastCheckpoints, "must be ≥ 1 (resume needs one)");
        if (!Enum.IsDefined(BestCheckpoint)) throw Bad(nameof(BestCheckpoint), BestCheckpoint, "unknown policy");
        if (EarlyStoppingPatience < 0) throw Bad(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must be ≥ 0 (0 = off)");
        if (!(EarlyStoppingMinDelta >= 0) || double.IsInfinity(EarlyStoppingMinDelta)) throw Bad(nameof(EarlyStoppingMinDelta), EarlyStoppingMinDelta, "must be a finite number ≥ 0");
        if (string.IsNullOrWhiteSpace(MetricsFileName) || MetricsFileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || MetricsFileName.Contains('/', StringComparison.Ordinal))
        {
            throw Bad(nameof(MetricsFileName), MetricsFileName, "must be a plain file name");
        }
        if (!Enum.IsDefined(Export)) throw Bad(nameof(Export), Export, "unknown export choice");
        if (Resume is not null && string.IsNullOrWhiteSpace(Resume)) throw Bad(nameof(Resume), Resume, $"a checkpoint folder or \"{ResumeLatest}\"");
    }

    /// <summary>
    /// Total optimizer steps for a source with <paramref name="batchesPerEpoch"/> micro-batches per epoch:
    /// min(MaxSteps, ⌈Epochs · batchesPerEpoch / accumulation⌉) over the ones that are set.
    /// </summary>
    /// <exception cref="ArgumentException">The source has no batches, or the result is not a positive int.</exception>
    public int TotalSteps(int batchesPerEpoch)
    {
        if (batchesPerEpoch < 1) throw new ArgumentException($"the training batch source has {batchesPerEpoch} batches per epoch; it needs at least one", nameof(batchesPerEpoch));
        long steps = MaxSteps > 0 ? MaxSteps : long.MaxValue;
        if (Epochs > 0)
        {
            double byEpochs = Math.Ceiling(Epochs * batchesPerEpoch / GradientAccumulationSteps);
            steps = Math.Min(steps, byEpochs >= int.MaxValue ? int.MaxValue : (long)byEpochs);
        }
        if (steps < 1 || steps > int.MaxValue) throw new ArgumentException($"the run would have {steps} steps; check MaxSteps and Epochs", nameof(batchesPerEpoch));
        return (int)steps;
    }

    /// <summary>
    /// The options that decide the training trajectory, as <c>key=value</c> lines (stored in checkpoints; a resume
    /// with different values is refused because it could not continue exactly).
    /// </summary>
    public string Fingerprint(int totalSteps)
    {
        var sb = new StringBuilder();
        void Add(string key, object value) => sb.Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        Add("total_steps", totalSteps);
        Add("learning_rate", LearningRate.ToString("R", CultureInfo.InvariantCulture));
        Add("schedule", Schedule);
        Add("warmup_steps", WarmupSteps);
        Add("min_lr_ratio", MinLrRatio.ToString("R", CultureInfo.InvariantCulture));
        Add("weight_decay", WeightDecay.ToString("R", CultureInfo.InvariantCulture));
        Add("beta1", Beta1.ToString("R", CultureInfo.InvariantCulture));
        Add("beta2", Beta2.ToString("R", CultureInfo.InvariantCulture));
        Add("eps", Eps.ToString("R", CultureInfo.InvariantCulture));
        Add("gradient_accumulation_steps", GradientAccumulationSteps);
        Add("max_grad_norm", MaxGradNorm.ToString("R", CultureInfo.InvariantCulture));
        Add("seed", Seed);
        return sb.ToString();
    }
}

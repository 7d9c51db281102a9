// The shared training loop entry point (LoRA now; X-LoRA and SVF reuse it): checks, set-up, resume, then the loop.
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Adapters.Training;

/// <summary>
/// Trains an <see cref="ITrainable"/> with AdamW. Each optimizer step draws
/// <see cref="TrainerOptions.GradientAccumulationSteps"/> micro-batches, back-propagates lossᵢ·nᵢ/N for each
/// (nᵢ = loss tokens, N = Σ nᵢ, so k micro-batches equal one batch of their union), measures and clips the global
/// gradient norm, sets lr from the schedule and updates. Evaluation (token-weighted validation loss and
/// perplexity = exp(loss), under no-grad in eval mode), best-checkpoint keeping, early stopping, atomic checkpoints,
/// exact resume, NaN/Inf detection, metrics JSONL and progress callbacks are described on
/// <see cref="Run"/> and <see cref="TrainerOptions"/>.
/// </summary>
internal static class Trainer
{
    /// <summary>
    /// Runs (or resumes, see <see cref="TrainerOptions.Resume"/>) training and returns how it ended.
    /// </summary>
    /// <remarks>
    /// <para>Order within a step: forward/backward of every micro-batch → non-finite check → clip → lr from the
    /// schedule → update → metrics line → evaluation (every <see cref="TrainerOptions.EvalEvery"/> steps and after the
    /// last) → best checkpoint → early-stopping check → periodic checkpoint. A checkpoint is always written at the
    /// end (completed, early-stopped or cancelled), then the artefact is exported (not on cancel).</para>
    /// <para>Resume restores parameters, optimizer moments and steps, the model's <see cref="ITrainable.Rng"/>, the batch
    /// source position, the schedule position, the best loss and the patience counter, so a resumed run reproduces
    /// the losses of an uninterrupted one bit for bit. Step checkpoints newer than the resumed one are deleted and
    /// metrics lines after it are dropped.</para>
    /// <para>NaN/Inf: when a micro-batch loss or the gradient norm is not finite, the step is abandoned before the
    /// update, nothing is saved, and the summary has <see cref="TrainingStatus.Diverged"/>; earlier checkpoints stay.</para>
    /// <para>Memory: every <see cref="ITrainable.Loss"/> call runs inside a <see cref="TensorScope"/> that ends after its
    /// backward pass (or after reading the value in evaluation), so a loss may leave its intermediates to that scope.</para>
    /// <para>The trainer sets each trainable tensor's <see cref="Tensor.Name"/> to its trainable name (the optimizer
    /// state key). Runs on the calling thread; <paramref name="ct"/> is checked between steps.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">Invalid options; no trainable parameters; a name repeated; a parameter not F32 or not requiring grad.</exception>
    /// <exception cref="InvalidOperationException">A fresh start into an output folder that already has checkpoints.</exception>
    /// <exception cref="InvalidDataException">The resume checkpoint is missing, malformed, made with other trajectory options, or its parameter names/shapes differ from the model's (all named).</exception>
    public static TrainingSummary Run(ITrainable model, IBatchSource train, Func<IEnumerable<TrainingBatch>>? validation,
        TrainerOptions options, ITrainingObserver? observer = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var parameters = CheckParameters(model);
        int total = options.TotalSteps(train.BatchesPerEpoch);
        if (options.Schedule != LrScheduleKind.Constant && options.WarmupSteps > total)
        {
            throw new ArgumentException($"trainer option WarmupSteps = {options.WarmupSteps} exceeds the run's {total} steps", nameof(options));
        }
        if (validation is null && options.EarlyStoppingPatience > 0)
        {
            throw new ArgumentException($"trainer option EarlyStoppingPatience = {options.EarlyStoppingPatience} needs a validation set", nameof(validation));
        }
        Directory.CreateDirectory(options.OutputDirectory);
        TrainerCheckpoints.Recover(options.OutputDirectory);

        using var optimizer = new AdamW([new ParameterGroup("trainable", parameters,
            new AdamWOptions(options.LearningRate, options.Beta1, options.Beta2, options.Eps, options.WeightDecay))]);
        var run = new TrainerRun(model, train, validation, options, observer ?? NullTrainingObserver.Instance, optimizer, MakeSchedule(options, total), total);
        if (options.Resume is null)
        {
            if (TrainerCheckpoints.List(options.OutputDirectory).Count > 0 || Directory.Exists(Path.Combine(TrainerCheckpoints.Root(options.OutputDirectory), TrainerCheckpoints.BestFolder)))
            {
                throw new InvalidOperationException($"{TrainerCheckpoints.Root(options.OutputDirectory)} already holds checkpoints; resume with Resume = \"{TrainerOptions.ResumeLatest}\" or choose another output folder");
            }
            model.Rng?.SetState(new Rng(options.Seed).GetState());
        }
        else
        {
            run.ResumeFrom(ResolveResume(options));
        }
        return run.Run(ct);
    }

    /// <summary>The schedule for <paramref name="options"/> over <paramref name="totalSteps"/> steps.</summary>
    public static ILrSchedule MakeSchedule(TrainerOptions options, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Schedule switch
        {
            LrScheduleKind.Constant => new ConstantSchedule(options.LearningRate, options.WarmupSteps),
            LrScheduleKind.Linear => new LinearWarmupLinearDecaySchedule(options.LearningRate, options.WarmupSteps, totalSteps, options.MinLrRatio),
            LrScheduleKind.Cosine => new LinearWarmupCosineDecaySchedule(options.LearningRate, options.WarmupSteps, totalSteps, options.MinLrRatio),
            _ => throw new ArgumentException($"unknown schedule kind {options.Schedule}", nameof(options)),
        };
    }

    private static string ResolveResume(TrainerOptions options)
    {
        if (options.Resume == TrainerOptions.ResumeLatest)
        {
            return TrainerCheckpoints.Latest(options.OutputDirectory)
                ?? throw new InvalidDataException($"Resume = \"{TrainerOptions.ResumeLatest}\" but {TrainerCheckpoints.Root(options.OutputDirectory)} holds no complete step checkpoint");
        }
        string dir = options.Resume!;
        if (!Directory.Exists(dir)) throw new InvalidDataException($"resume checkpoint folder {dir} does not exist");
        return dir;
    }

    private static List<Tensor> CheckParameters(ITrainable model)
    {
        var list = model.TrainableParameters ?? throw new ArgumentException("TrainableParameters is null", nameof(model));
        if (list.Count == 0) throw new ArgumentException("the model has no trainable parameters", nameof(model));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<Tensor>(list.Count);
        foreach (var (name, p) in list)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("a trainable parameter has an empty name", nameof(model));
            if (!names.Add(name)) throw new ArgumentException($"trainable parameter name '{name}' appears twice", nameof(model));
            if (p is null || p.IsDisposed) throw new ArgumentException($"trainable parameter '{name}' is null or disposed", nameof(model));
            if (p.DType != DType.F32) throw new ArgumentException($"trainable parameter '{name}' is {p.DType}; the trainer updates F32 parameters", nameof(model));
            if (!p.RequiresGrad) throw new ArgumentException($"trainable parameter '{name}' does not require grad", nameof(model));
            p.Name = name;
            result.Add(p);
        }
        return result;
    }
}

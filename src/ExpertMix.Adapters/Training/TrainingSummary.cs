// What a training run reports: per-step and per-evaluation records, and the final summary with its status.
namespace ExpertMix.Adapters.Training;

/// <summary>How a run ended.</summary>
public enum TrainingStatus
{
    /// <summary>All planned steps ran.</summary>
    Completed,

    /// <summary>Validation loss did not improve for <see cref="TrainerOptions.EarlyStoppingPatience"/> evaluations.</summary>
    EarlyStopped,

    /// <summary>The cancellation token fired; the state after the last finished step was checkpointed.</summary>
    Cancelled,

    /// <summary>A step's loss or gradient norm was NaN/Inf; nothing was updated or saved from that step.</summary>
    Diverged,
}

/// <summary>One optimizer step.</summary>
/// <param name="Step">1-based step number.</param>
/// <param name="TotalSteps">Planned steps of the run.</param>
/// <param name="Epoch">Micro-batches consumed so far ÷ batches per epoch.</param>
/// <param name="Loss">Σᵢ lossᵢ·nᵢ / Σᵢ nᵢ over the step's micro-batches (nᵢ = loss tokens).</param>
/// <param name="LearningRate">The rate used by this update (schedule at position Step − 1).</param>
/// <param name="GradNorm">Global 2-norm of the accumulated gradient before clipping.</param>
/// <param name="Tokens">Loss tokens of the step (Σᵢ nᵢ).</param>
/// <param name="TokensPerSecond">Tokens ÷ the step's wall time.</param>
/// <param name="ElapsedSeconds">Training wall time so far (summed across resumes).</param>
/// <param name="Eta">Estimated time to the last step (this session's mean step time × steps left).</param>
public sealed record StepMetrics(int Step, int TotalSteps, double Epoch, double Loss, double LearningRate, double GradNorm,
    long Tokens, double TokensPerSecond, double ElapsedSeconds, TimeSpan Eta);

/// <summary>One validation pass.</summary>
/// <param name="Step">The step after which it ran.</param>
/// <param name="Loss">Σ lossᵦ·nᵦ / Σ nᵦ over validation batches (nᵦ = loss tokens).</param>
/// <param name="Perplexity">exp(<paramref name="Loss"/>).</param>
/// <param name="Tokens">Σ nᵦ.</param>
/// <param name="IsBest">The lowest validation loss so far (by more than the minimum delta).</param>
public sealed record EvalResult(int Step, double Loss, double Perplexity, long Tokens, bool IsBest);

/// <summary>The result of <see cref="Trainer.Run"/>.</summary>
/// <param name="Status">How the run ended.</param>
/// <param name="Message">A human-readable line (the NaN diagnosis, the early-stopping reason, …).</param>
/// <param name="StepsCompleted">Optimizer steps applied in total (including those before a resume).</param>
/// <param name="TotalSteps">Planned steps.</param>
/// <param name="LastLoss">Loss of the last applied step (NaN if none).</param>
/// <param name="BestValidationLoss">Lowest validation loss (null without evaluations).</param>
/// <param name="BestStep">Step of <paramref name="BestValidationLoss"/> (null without evaluations).</param>
/// <param name="LastCheckpoint">Newest intact checkpoint folder (null if none was written).</param>
/// <param name="BestCheckpoint">The best checkpoint folder (null if none).</param>
/// <param name="ArtifactDirectory">Where the artefact was exported (null when the run diverged and nothing was exported).</param>
/// <param name="ElapsedSeconds">Training wall time (summed across resumes).</param>
public sealed record TrainingSummary(TrainingStatus Status, string Message, int StepsCompleted, int TotalSteps, double LastLoss,
    double? BestValidationLoss, int? BestStep, string? LastCheckpoint, string? BestCheckpoint, string? ArtifactDirectory, double ElapsedSeconds);

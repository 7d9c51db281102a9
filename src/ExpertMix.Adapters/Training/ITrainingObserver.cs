// Progress callbacks of the trainer (the CLI renders them as a progress bar), plus a no-op and a plain-text observer.
using System.Globalization;

namespace ExpertMix.Adapters.Training;

/// <summary>Receives the trainer's progress. Called on the training thread; keep handlers quick.</summary>
public interface ITrainingObserver
{
    /// <summary>Before the first step of this session (<paramref name="startStep"/> &gt; 0 after a resume).</summary>
    void OnStart(int startStep, int totalSteps);

    /// <summary>After each applied optimizer step.</summary>
    void OnStep(StepMetrics metrics);

    /// <summary>After each validation pass.</summary>
    void OnEval(EvalResult result);

    /// <summary>After a checkpoint folder was put in place (<paramref name="kind"/>: step or best).</summary>
    void OnCheckpoint(int step, string directory, CheckpointKind kind);

    /// <summary>When the run ends (also on divergence, early stop and cancellation).</summary>
    void OnEnd(TrainingSummary summary);
}

/// <summary>Which checkpoint folder was written.</summary>
public enum CheckpointKind
{
    /// <summary>A periodic/final <c>checkpoints/step-N</c>.</summary>
    Step,

    /// <summary><c>checkpoints/best</c>.</summary>
    Best,
}

/// <summary>An observer that ignores everything.</summary>
internal sealed class NullTrainingObserver : ITrainingObserver
{
    /// <summary>The shared instance.</summary>
    public static NullTrainingObserver Instance { get; } = new();

    /// <inheritdoc/>
    public void OnStart(int startStep, int totalSteps)
    {
    }

    /// <inheritdoc/>
    public void OnStep(StepMetrics metrics)
    {
    }

    /// <inheritdoc/>
    public void OnEval(EvalResult result)
    {
    }

    /// <inheritdoc/>
    public void OnCheckpoint(int step, string directory, CheckpointKind kind)
    {
    }

    /// <inheritdoc/>
    public void OnEnd(TrainingSummary summary)
    {
    }
}

/// <summary>Writes one plain line per <see cref="LogEvery"/> steps, per evaluation, per checkpoint and at the end.</summary>
/// <param name="writer">Destination (e.g. <see cref="Console.Out"/>).</param>
/// <param name="logEvery">Print every N-th step (and the last).</param>
internal sealed class TextTrainingObserver(TextWriter writer, int logEvery = 1) : ITrainingObserver
{
    private readonly TextWriter _writer = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>Print every N-th step.</summary>
    public int LogEvery { get; } = logEvery >= 1 ? logEvery : throw new ArgumentOutOfRangeException(nameof(logEvery), logEvery, "must be ≥ 1");

    /// <inheritdoc/>
    public void OnStart(int startStep, int totalSteps) =>
        _writer.WriteLine(startStep == 0 ? $"training {totalSteps} steps" : $"resuming at step {startStep} of {totalSteps}");

    /// <inheritdoc/>
    public void OnStep(StepMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Step % LogEvery != 0 && metrics.Step != metrics.TotalSteps) return;
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {metrics.Step}/{metrics.TotalSteps}  epoch {metrics.Epoch:F2}  loss {metrics.Loss:F4}  lr {metrics.LearningRate:E2}  grad_norm {metrics.GradNorm:F3}  {metrics.TokensPerSecond:F0} tok/s  eta {FormatEta(metrics.Eta)}"));
    }

    /// <inheritdoc/>
    public void OnEval(EvalResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"eval @ step {result.Step}: val_loss {result.Loss:F4}  val_ppl {result.Perplexity:F2}{(result.IsBest ? "  (best)" : "")}"));
    }

    /// <inheritdoc/>
    public void OnCheckpoint(int step, string directory, CheckpointKind kind) =>
        _writer.WriteLine($"saved {(kind == CheckpointKind.Best ? "best " : "")}checkpoint {directory}");

    /// <inheritdoc/>
    public void OnEnd(TrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        _writer.WriteLine($"{summary.Status}: {summary.Message}");
    }

    private static string FormatEta(TimeSpan eta) =>
        eta.TotalHours >= 1 ? eta.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : eta.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}

// Live training progress in the terminal: a Spectre.Console bar with loss, tokens/s and ETA, plus evaluation lines.
using System.Globalization;
using ExpertMix.Adapters.Training;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Training;

/// <summary>Whether checkpoint events print a line.</summary>
internal enum CheckpointEcho
{
    /// <summary>One grey line per checkpoint.</summary>
    Print,

    /// <summary>Nothing (many short runs, e.g. a study).</summary>
    Silent,
}

/// <summary>Drives one Spectre progress task from trainer events (call inside <c>AnsiConsole.Progress().Start</c>); the description is prefixed with <paramref name="label"/>.</summary>
internal sealed class SpectreTrainingObserver(ProgressTask task, string label = "", CheckpointEcho checkpoints = CheckpointEcho.Print) : ITrainingObserver
{
    private double _lastValidation = double.NaN;

    public void OnStart(int startStep, int totalSteps)
    {
        task.MaxValue = totalSteps;
        task.Value = startStep;
    }

    public void OnStep(StepMetrics m)
    {
        task.Value = m.Step;
        string val = double.IsNaN(_lastValidation) ? "" : $" · val ppl {_lastValidation.ToString("G4", CultureInfo.InvariantCulture)}";
        task.Description = $"{(label.Length > 0 ? label + " · " : "")}step {m.Step}/{m.TotalSteps} · loss {m.Loss.ToString("F4", CultureInfo.InvariantCulture)} · lr {m.LearningRate.ToString("G3", CultureInfo.InvariantCulture)} · "
            + $"{m.TokensPerSecond.ToString("F0", CultureInfo.InvariantCulture)} tok/s · ETA {m.Eta:hh\\:mm\\:ss}{val}";
    }

    public void OnEval(EvalResult result)
    {
        _lastValidation = result.Perplexity;
        AnsiConsole.MarkupLine($"[grey]step {result.Step}: validation loss {result.Loss.ToString("F4", CultureInfo.InvariantCulture)}, perplexity {result.Perplexity.ToString("G5", CultureInfo.InvariantCulture)}{(result.IsBest ? " [green](best)[/]" : "")}[/]");
    }

    public void OnCheckpoint(int step, string directory, CheckpointKind kind)
    {
        if (checkpoints == CheckpointEcho.Print) AnsiConsole.MarkupLine($"[grey]step {step}: {kind.ToString().ToLowerInvariant()} checkpoint {Markup.Escape(directory)}[/]");
    }

    public void OnEnd(TrainingSummary summary) => task.StopTask();
}

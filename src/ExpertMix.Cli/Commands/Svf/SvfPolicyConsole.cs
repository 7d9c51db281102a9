// Progress of `svf train` policy runs: a Spectre bar on a terminal, plain lines otherwise, plus dev-accuracy lines.
using System.Globalization;
using ExpertMix.Adapters.Svf.Training;
using ExpertMix.Adapters.Training;
using ExpertMix.Cli.Commands.Training;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>Runs an <see cref="SvfPolicyTrainer"/> with the progress display that suits the console.</summary>
internal static class SvfPolicyConsole
{
    public static SvfPolicySummary Run(SvfPolicyTrainer trainer, bool json)
    {
        if (json || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            return trainer.Run(new Observer(new TextTrainingObserver(Console.Error, logEvery: 1), line => Console.Error.WriteLine(line)));
        }
        SvfPolicySummary summary = null!;
        AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx => summary = trainer.Run(new Observer(new SpectreTrainingObserver(ctx.AddTask("training SVF")), line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"))));
        return summary;
    }

    /// <summary>Forwards the generic events to <paramref name="inner"/> and prints rewards and dev results as lines.</summary>
    private sealed class Observer(ITrainingObserver inner, Action<string> print) : ISvfPolicyObserver
    {
        public void OnStart(int startStep, int totalSteps) => inner.OnStart(startStep, totalSteps);

        public void OnStep(StepMetrics metrics) => inner.OnStep(metrics);

        public void OnEval(EvalResult result) => inner.OnEval(result);

        public void OnCheckpoint(int step, string directory, CheckpointKind kind) => inner.OnCheckpoint(step, directory, kind);

        public void OnEnd(TrainingSummary summary) => inner.OnEnd(summary);

        public void OnIteration(SvfIterationMetrics m) => print(string.Create(CultureInfo.InvariantCulture,
            $"iteration {m.Iteration}: reward {m.MeanReward:F3}, accuracy {m.Accuracy:P1}, kl {m.MeanKl:G3}, skipped groups {m.SkippedGroups}{(m.Updated ? "" : " (no update)")}"));

        public void OnDevEval(SvfDevResult r) => print(string.Create(CultureInfo.InvariantCulture,
            $"dev @ {r.Iteration}: accuracy {r.Accuracy:P2} (n {r.Count}), dev loss {r.Loss:F4}{(r.IsBest ? " (best)" : "")}"));
    }
}

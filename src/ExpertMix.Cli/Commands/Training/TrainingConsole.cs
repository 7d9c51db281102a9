// How every training verb runs the shared trainer on the console and prints its summary.
using System.Globalization;
using ExpertMix.Adapters.Training;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Training;

/// <summary>A Spectre progress bar on a terminal, plain progress lines otherwise; the summary as JSON or a table.</summary>
internal static class TrainingConsole
{
    /// <summary>Runs <see cref="Trainer.Run"/> with the progress display that suits the console and <paramref name="json"/>.</summary>
    public static TrainingSummary Run(ITrainable trainable, IBatchSource source, Func<IEnumerable<TrainingBatch>>? validation, TrainerOptions options, bool json, string label) =>
        Run(observer => Trainer.Run(trainable, source, validation, options, observer), json, label);

    /// <summary>Runs <paramref name="train"/> with the observer that suits the console and <paramref name="json"/> (a run prepared elsewhere, e.g. <c>LoraTrainingRun.Run</c>).</summary>
    public static TrainingSummary Run(Func<ITrainingObserver, TrainingSummary> train, bool json, string label)
    {
        if (json || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            return train(new TextTrainingObserver(Console.Error, logEvery: 10));
        }
        TrainingSummary summary = null!;
        AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx => summary = train(new SpectreTrainingObserver(ctx.AddTask(label))));
        return summary;
    }

    /// <summary>The fields every training summary reports (status, steps, losses, checkpoint, time).</summary>
    public static Dictionary<string, object?> Report(TrainingSummary summary) => new()
    {
        ["status"] = summary.Status.ToString().ToLowerInvariant(),
        ["message"] = summary.Message,
        ["steps"] = summary.StepsCompleted,
        ["total_steps"] = summary.TotalSteps,
        ["last_loss"] = summary.LastLoss,
        ["best_validation_loss"] = summary.BestValidationLoss,
        ["best_validation_perplexity"] = summary.BestValidationLoss is { } b ? Math.Exp(b) : null,
        ["best_step"] = summary.BestStep,
    };

    /// <summary>Prints <paramref name="report"/> as one JSON object on stdout, or as a two-column table; returns the exit code (1 when training diverged).</summary>
    public static int Print(Dictionary<string, object?> report, TrainingSummary summary, bool json)
    {
        if (json)
        {
            Console.WriteLine(CliJson.Serialize(report));
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("", "");
            table.ShowHeaders = false;
            foreach (var (key, v) in report)
            {
                table.AddRow(Markup.Escape(key), Markup.Escape(v is IEnumerable<string> list ? string.Join(", ", list) : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "–"));
            }
            AnsiConsole.Write(table);
        }
        return summary.Status == TrainingStatus.Diverged ? 1 : 0;
    }
}

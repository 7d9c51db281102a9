// The Transformer² part of an eval report: strategy, dispatch counts, the dispatch confusion matrix, few-shot search.
using System.Globalization;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Evaluation;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.T2;

/// <summary>Builds and prints the `t2` section of `eval` output.</summary>
internal static class T2Report
{
    /// <summary>
    /// The dispatch confusion matrix of the runtime's logged decisions: row = the task's category
    /// (<c>--category</c>, else <see cref="DispatchConfusion.CategoryOfTask"/> for the paper's categories and the
    /// fallback for <c>--label</c> ones), columns = the categories' labels (paper: code/math/reasoning/other).
    /// Empty for few-shot.
    /// </summary>
    public static DispatchConfusion Confusion(T2Args args, Transformer2 runtime, EvalTask task)
    {
        var categories = runtime.Options.Categories;
        var c = new DispatchConfusion(categories);
        string truth = args.Category ?? (categories.IsPaper ? DispatchConfusion.CategoryOfTask(task.Name) : categories.Fallback);
        foreach (var d in runtime.Log.Where(d => d.Label != Transformer2.FewShotKey)) c.Add(truth, d.Label);
        return c;
    }

    /// <summary>The JSON object: strategy, dispatch counts, confusion, dispatch accuracy, few-shot α and search size.</summary>
    public static Dictionary<string, object?> Summary(T2Args args, Transformer2 runtime, EvalTask task, T2FewShotResult? fewShot)
    {
        var confusion = Confusion(args, runtime, task);
        return new Dictionary<string, object?>
        {
            ["strategy"] = args.StrategyName,
            ["dispatch_mode"] = runtime.Options.Dispatch == LabelDispatch.Soft ? "soft" : "hard",
            ["experts"] = args.Experts,
            ["labels"] = runtime.Options.Categories.Labels,
            ["dispatch"] = runtime.Options.Categories.Labels.ToDictionary(l => l, l => runtime.Log.Count(d => d.Label == l)),
            ["confusion"] = confusion.ToDictionary(),
            ["dispatch_accuracy"] = double.IsNaN(confusion.Accuracy) ? null : confusion.Accuracy,
            ["alpha"] = runtime.FewShotAlpha,
            ["alpha_labels"] = runtime.Options.Strategy == T2Strategy.FewShot ? runtime.MixtureLabels : null,
            ["cem_evaluations"] = fewShot?.Search.Evaluations,
            ["cem_model_calls"] = fewShot?.ModelCalls,
            ["cem_seconds"] = fewShot?.Seconds,
        };
    }

    /// <summary>Prints the confusion matrix (and α for few-shot) under the eval table.</summary>
    public static void Print(T2Args args, Transformer2 runtime, EvalTask task, T2FewShotResult? fewShot)
    {
        var confusion = Confusion(args, runtime, task);
        if (confusion.Total > 0)
        {
            var table = new Table().Title($"dispatch ({Markup.Escape(args.StrategyName)})").AddColumn("true \\ dispatched");
            foreach (var col in confusion.Columns) table.AddColumn(Markup.Escape(col));
            foreach (var row in confusion.Rows) table.AddRow([row, .. confusion[row].Select(n => n.ToString(CultureInfo.InvariantCulture))]);
            AnsiConsole.Write(table);
        }
        if (runtime.FewShotAlpha is { } a)
        {
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"few-shot α over {string.Join(", ", runtime.MixtureLabels)}: [{string.Join(", ", a.Take(12).Select(x => x.ToString("F4", CultureInfo.InvariantCulture)))}{(a.Length > 12 ? ", …" : "")}]{(fewShot is null ? "" : $" ({fewShot.ModelCalls} CEM answers, {fewShot.Seconds:F1} s)")}")));
        }
    }
}

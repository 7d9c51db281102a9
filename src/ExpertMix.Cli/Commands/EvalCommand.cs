// `expertmix eval`: accuracy of a model (optionally with LoRA adapters or X-LoRA) on a verifiable task.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Models.Generation;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The `eval` verb.</summary>
public static class EvalCommand
{
    /// <summary>Creates `eval`.</summary>
    public static Command Create()
    {
        var model = new ModelOptions();
        var task = new Option<string>("--task") { Description = "The task: " + string.Join(", ", EvalTasks.Names) + ".", Required = true };
        task.AcceptOnlyFromAmong([.. EvalTasks.Names]);
        var data = new Option<string>("--data") { Description = "The task's data file, or the directory holding it (e.g. ../shared/data/gsm8k).", Required = true };
        var limit = new Option<int?>("--limit") { Description = "At most N examples per seed (a seeded subset)." };
        var seed = new Option<string>("--seed") { Description = "Seed, or several comma-separated (each: subset under --limit, bootstrap resamples).", DefaultValueFactory = _ => "0" };
        var split = new Option<string>("--split") { Description = "dev (for selection) or test (for reporting); disjoint.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("dev", "test");
        var output = new Option<string?>("--out") { Description = "Per-example records as JSONL (id, prompt, completion, extracted, gold, correct, timings)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary (task, n, accuracy, ci_low, ci_high, first_pass_s, second_pass_s, seeds)." };
        var batch = new Option<int>("--batch-size") { Description = "Prompts generated together.", DefaultValueFactory = _ => 8 };
        var maxNew = new Option<int?>("--max-new-tokens") { Description = "Override the task's limit (reference: 512)." };
        var format = new Option<string>("--prompt-format") { Description = "raw text or the model's chat template.", DefaultValueFactory = _ => "raw" };
        format.AcceptOnlyFromAmong("raw", "chat");
        var codeTimeout = new Option<double>("--code-timeout") { Description = "Seconds per program for code tasks (mbpp, humaneval).", DefaultValueFactory = _ => 10 };
        var cmd = new Command("eval", "Accuracy on a verifiable task (greedy decoding), with a bootstrap 95% interval and first/second-pass times.");
        model.AddTo(cmd);
        foreach (var o in new Option[] { task, data, limit, seed, split, output, json, batch, maxNew, format, codeTimeout }) cmd.Add(o);
        // Extension points: --svf DIR (load an SVF expert onto the model) and --t2 STRATEGY --experts cat=DIR,… (a first
        // pass) belong in LoadGenerator/FirstPass below once the SVF core and the adaptation strategies exist.
        cmd.SetAction(pr =>
        {
            var options = new EvalOptions
            {
                Split = pr.GetValue(split) == "dev" ? EvalSplit.Dev : EvalSplit.Test,
                Limit = pr.GetValue(limit) is { } n ? (n >= 1 ? n : throw new UserErrorException($"--limit must be ≥ 1 (got {n})")) : null,
                Seeds = ParseSeeds(pr.GetValue(seed)!),
                BatchSize = pr.GetValue(batch) is var b && b >= 1 ? b : throw new UserErrorException($"--batch-size must be ≥ 1 (got {b})"),
                MaxNewTokens = pr.GetValue(maxNew),
                Format = pr.GetValue(format) == "chat" ? PromptFormat.Chat : PromptFormat.Raw,
            };
            var runner = new CodeRunner(new CodeRunnerOptions { Timeout = TimeSpan.FromSeconds(pr.GetValue(codeTimeout)) });
            return Run(model.Bind(pr), EvalTasks.Get(pr.GetValue(task)!, runner), pr.GetValue(data)!, options, pr.GetValue(output), pr.GetValue(json));
        });
        return cmd;
    }

    /// <summary>Parses "0" or "0,1,2".</summary>
    internal static IReadOnlyList<int> ParseSeeds(string value) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UserErrorException($"--seed: '{s}' is not an integer"))];

    private static int Run(ModelArgs args, EvalTask task, string data, EvalOptions options, string? output, bool asJson)
    {
        if (!File.Exists(data) && !Directory.Exists(data)) throw new UserErrorException($"--data not found: {data}");
        // Validate the data before loading the model.
        try
        {
            _ = task.Load(data, options.Split);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or FormatException)
        {
            throw new UserErrorException(e.Message, e);
        }
        var generator = LoadGenerator(args);
        using var model = generator.Model;
        options = options with { FirstPass = FirstPass() };
        var harness = new EvalHarness(generator);
        EvalReport report;
        if (asJson || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            report = harness.Run(task, data, options);
        }
        else
        {
            report = null!;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var bar = ctx.AddTask(Markup.Escape($"{task.Name} ({options.Split.ToString().ToLowerInvariant()})"));
                    report = harness.Run(task, data, options, (done, total) =>
                    {
                        bar.MaxValue = total;
                        bar.Value = done;
                    });
                });
        }
        if (output is not null) report.WriteRecords(output);
        if (asJson)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true })) report.WriteSummaryJson(w);
            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }
        var table = new Table().AddColumns("task", "split", "n", "accuracy", "95% CI", "seeds (sd)", "first pass s", "second pass s");
        table.AddRow(task.Name, options.Split.ToString().ToLowerInvariant(), report.N.ToString(CultureInfo.InvariantCulture),
            report.Accuracy.ToString("P2", CultureInfo.InvariantCulture),
            Markup.Escape($"[{report.Interval.Low.ToString("P2", CultureInfo.InvariantCulture)}, {report.Interval.High.ToString("P2", CultureInfo.InvariantCulture)}]"),
            $"{report.Seeds.Count} ({report.AccuracySd.ToString("P2", CultureInfo.InvariantCulture)})",
            report.FirstPassSeconds.ToString("F2", CultureInfo.InvariantCulture), report.SecondPassSeconds.ToString("F2", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[grey]split: {Markup.Escape(task.SplitRule)}[/]");
        if (report.Sandbox is { } s) AnsiConsole.MarkupLine($"[grey]code sandbox: {s}[/]");
        if (output is not null) AnsiConsole.MarkupLine($"[grey]records: {Markup.Escape(output)}[/]");
        return 0;
    }

    /// <summary>The model under evaluation. Extension point: an <c>--svf</c> expert would be attached here.</summary>
    private static Generator LoadGenerator(ModelArgs args) => args.LoadGenerator();

    /// <summary>The first pass. Extension point: <c>--t2 STRATEGY --experts …</c> would build an <see cref="IFirstPass"/> here; none yet.</summary>
    private static IFirstPass? FirstPass() => null;
}

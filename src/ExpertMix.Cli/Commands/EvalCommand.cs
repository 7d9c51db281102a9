// `expertmix eval`: accuracy of a model (optionally with LoRA adapters or X-LoRA) on a verifiable task.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Models.Generation;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The `eval` verb.</summary>
internal static class EvalCommand
{
    /// <summary>Creates `eval` (with the optional <c>--t2 STRATEGY --experts …</c> first pass).</summary>
    public static Command Create() =>
        Build("eval", "Accuracy on a verifiable task (greedy decoding), with a bootstrap 95% interval and first/second-pass times.", new T2.T2Options("--t2", enabledByDefault: false));

    /// <summary>Creates an eval verb named <paramref name="name"/> with the Transformer² options <paramref name="t2"/> (`eval` and `t2 eval`).</summary>
    internal static Command Build(string name, string description, T2.T2Options t2)
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
        var cmd = new Command(name, description);
        model.AddTo(cmd);
        t2.AddTo(cmd);
        foreach (var o in new Option[] { task, data, limit, seed, split, output, json, batch, maxNew, format, codeTimeout }) cmd.Add(o);
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
            return Run(model.Bind(pr), t2.Bind(pr), EvalTasks.Get(pr.GetValue(task)!, runner), pr.GetValue(data)!, options, pr.GetValue(output), pr.GetValue(json));
        });
        return cmd;
    }

    /// <summary>Parses "0" or "0,1,2".</summary>
    internal static IReadOnlyList<int> ParseSeeds(string value) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UserErrorException($"--seed: '{s}' is not an integer"))];

    private static int Run(ModelArgs args, T2.T2Args? t2Args, EvalTask task, string data, EvalOptions options, string? output, bool asJson)
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
        var runtime = t2Args?.Build(args, options.Format);
        var generator = runtime?.Generator ?? args.LoadGenerator();
        using var model = generator.Model;
        using var owned = runtime;
        var fewShot = runtime is null ? null : t2Args!.AdaptIfNeeded(runtime, task, data, options.MaxNewTokens, asJson);
        options = options with { FirstPass = runtime?.AsFirstPass() };
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
            var summary = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            if (runtime is not null)
            {
                var node = System.Text.Json.Nodes.JsonNode.Parse(summary)!.AsObject();
                node["t2"] = System.Text.Json.Nodes.JsonNode.Parse(CliJson.Serialize(T2.T2Report.Summary(t2Args!, runtime, task, fewShot)));
                summary = node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = CliJson.Options.Encoder });
            }
            Console.Out.WriteLine(summary);
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
        if (runtime is not null) T2.T2Report.Print(t2Args!, runtime, task, fewShot);
        return 0;
    }
}

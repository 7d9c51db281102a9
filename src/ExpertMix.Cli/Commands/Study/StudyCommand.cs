// `expertmix study …`: reproducible experiments (the naive-summation study).
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Study;
using ExpertMix.Adapters.Training;
using ExpertMix.Cli.Commands.Training;
using ExpertMix.Tensors;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Study;

/// <summary>The `study` verb group.</summary>
internal static class StudyCommand
{
    /// <summary>Creates `study` with `summation`.</summary>
    public static Command Create()
    {
        var cmd = new Command("study", "Reproducible experiments on experts.");
        cmd.Add(CreateSummation());
        return cmd;
    }

    private static Command CreateSummation()
    {
        var d = new SummationStudyOptions { ModelDirectory = "", Domains = [], OutputDirectory = "" };
        var model = new Option<string>("--model", "-m") { Description = "Base model directory (Hugging Face layout).", Required = true };
        var domain = new Option<string[]>("--domain") { Description = "NAME=FILE: a domain's JSONL (prompt/completion rows; convert ../shared/data sets with `expertmix data convert`). Repeat, at least 2.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder: adapters, report.json, report.md, scatter SVGs. A rerun with the same recipe reuses finished adapters.", DefaultValueFactory = _ => "study-summation" };
        var rank = new Option<int>("--rank", "-r") { Description = "LoRA rank (paper: 4).", DefaultValueFactory = _ => d.Rank };
        var alpha = new Option<float>("--alpha") { Description = "lora_alpha (paper: 64).", DefaultValueFactory = _ => d.Alpha };
        var targets = new Option<string?>("--targets") { Description = "Target modules: suffix list, re:REGEX or all-linear (default: c_attn,c_proj on GPT-2; q/k/v/o_proj,down_proj otherwise)." };
        var dropout = new Option<float>("--dropout") { Description = "LoRA dropout (paper: 0.1).", DefaultValueFactory = _ => d.Dropout };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps per adapter.", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch") { Description = "Batch size of single-domain runs (joint runs over k domains use k×).", DefaultValueFactory = _ => d.BatchSize };
        var maxLength = new Option<int>("--max-length") { Description = "Training sequence length.", DefaultValueFactory = _ => d.MaxLength };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (linear decay, 2 warm-up steps).", DefaultValueFactory = _ => d.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay.", DefaultValueFactory = _ => d.WeightDecay };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated training seeds.", DefaultValueFactory = _ => string.Join(',', d.Seeds) };
        var init = new Option<string>("--init") { Description = "independent: every adapter draws its own A; shared: all adapters of a seed start from the same A.", DefaultValueFactory = _ => "independent" };
        init.AcceptOnlyFromAmong("independent", "shared");
        var objective = new Option<string>("--objective") { Description = "standard (loss on completions, token-weighted PPL), faithful (the paper scripts' unmasked prompt→completion alignment, 50-row protocol) or both.", DefaultValueFactory = _ => "both" };
        objective.AcceptOnlyFromAmong("standard", "faithful", "both");
        var splitSeed = new Option<ulong>("--split-seed") { Description = "Seed of the 80/10/10 split.", DefaultValueFactory = _ => d.SplitSeed };
        var maxTrain = new Option<int>("--max-train-rows") { Description = "Training rows per domain (0 = all of the 80%).", DefaultValueFactory = _ => d.MaxTrainRows };
        var maxTest = new Option<int>("--max-test-rows") { Description = "Test rows per domain for the standard protocol (0 = all of the 10%).", DefaultValueFactory = _ => d.MaxTestRows };
        var threads = new Option<int?>("--threads", "-t") { Description = "Worker threads (default: all cores)." };
        var json = new Option<bool>("--json") { Description = "Progress as plain lines on stderr; report.json's content on stdout." };
        var cmd = new Command("summation", "The naive-summation study: per domain a LoRA adapter, per pair (and all) a joint one; perplexity of delta-sum and factor-sum vs joint, RMS cosine of the deltas, and their correlation.");
        foreach (var o in new Option[] { model, domain, output, rank, alpha, targets, dropout, steps, batch, maxLength, lr, wd, seeds, init, objective, splitSeed, maxTrain, maxTest, threads, json }) cmd.Add(o);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(threads) is { } t) Engine.Threads = t >= 1 ? t : throw new ArgumentException($"--threads must be ≥ 1 (got {t})");
            var options = new SummationStudyOptions
            {
                ModelDirectory = pr.GetValue(model)!,
                Domains = pr.GetValue(domain)!.Select(ParseDomain).ToList(),
                OutputDirectory = pr.GetValue(output)!,
                Rank = pr.GetValue(rank),
                Alpha = pr.GetValue(alpha),
                Targets = pr.GetValue(targets) is { } tm ? TargetModules.Parse(tm) : null,
                Dropout = pr.GetValue(dropout),
                Steps = pr.GetValue(steps),
                BatchSize = pr.GetValue(batch),
                MaxLength = pr.GetValue(maxLength),
                LearningRate = pr.GetValue(lr),
                WeightDecay = pr.GetValue(wd),
                Seeds = ParseSeeds(pr.GetValue(seeds)!),
                Init = pr.GetValue(init) == "shared" ? InitSharing.Shared : InitSharing.Independent,
                Objectives = pr.GetValue(objective) switch
                {
                    "standard" => [StudyObjective.Standard],
                    "faithful" => [StudyObjective.Faithful],
                    _ => [StudyObjective.Standard, StudyObjective.Faithful],
                },
                SplitSeed = pr.GetValue(splitSeed),
                MaxTrainRows = pr.GetValue(maxTrain),
                MaxTestRows = pr.GetValue(maxTest),
            };
            return Execute(options, pr.GetValue(json), Console.Out);
        });
        return cmd;
    }

    /// <summary>Runs the study with terminal progress (or plain lines) and prints the summary table (or the JSON report).</summary>
    public static int Execute(SummationStudyOptions options, bool json, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        SummationReport report;
        if (json || Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            report = SummationStudy.Run(options, new StudyProgress(Console.Error.WriteLine, _ => new TextTrainingObserver(Console.Error, logEvery: 50)));
        }
        else
        {
            report = null!;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
                .Start(ctx => report = SummationStudy.Run(options, new StudyProgress(
                    line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"),
                    label => new SpectreTrainingObserver(ctx.AddTask(Markup.Escape(label)), Markup.Escape(label), CheckpointEcho.Silent))));
        }
        if (json)
        {
            output.WriteLine(report.ToJson());
            return 0;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        foreach (var r in report.Objectives)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"{r.Objective.ToString().ToLowerInvariant()} objective (mean over {options.Seeds.Count} seed(s))")
                .AddColumns("domains", "PPL base", "PPL joint", "PPL delta-sum", "PPL factor-sum", "ΔPPL% delta-sum", "ΔPPL% factor-sum", "RMS cos", "factor-sum E");
            foreach (var g in r.Rows.GroupBy(x => x.Label))
            {
                table.AddRow(Markup.Escape(g.Key), F(g.First().BasePerplexity), F(g.Average(x => x.JointPerplexity)), F(g.Average(x => x.DeltaSumPerplexity)), F(g.Average(x => x.FactorSumPerplexity)),
                    P(g.Average(x => x.DeltaSumVsJointPercent)), P(g.Average(x => x.FactorSumVsJointPercent)), G(g.Average(x => x.RmsCosine)), G(g.Average(x => x.FactorSumError)));
            }
            console.Write(table);
            console.MarkupLine(Markup.Escape($"Pearson r(RMS cos, ΔPPL% delta-sum) = {G(r.DeltaSumFit.Pearson)} over {r.DeltaSumFit.N} pair points (95% CI {G(r.DeltaSumFit.PearsonLow)} … {G(r.DeltaSumFit.PearsonHigh)}), slope {G(r.DeltaSumFit.Slope)}"));
        }
        console.MarkupLine(Markup.Escape($"report: {Path.Combine(options.OutputDirectory, "report.md")} (and report.json, scatter-*.svg); {report.Seconds:F0} s"));
        return 0;
    }

    /// <summary>NAME=FILE.</summary>
    /// <exception cref="ArgumentException">No '=' or an empty part.</exception>
    public static StudyDomain ParseDomain(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1) throw new ArgumentException($"--domain expects NAME=FILE (got '{text}')");
        return new StudyDomain(text[..eq], text[(eq + 1)..]);
    }

    private static List<ulong> ParseSeeds(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : throw new ArgumentException($"--seeds: '{s}' is not a non-negative integer")).ToList();

    private static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private static string P(double v) => Markup.Escape(v.ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + "%");

    private static string G(double v) => double.IsNaN(v) ? "–" : v.ToString("G3", CultureInfo.InvariantCulture);
}

// `expertmix demo`: the whole story on an embedded world, with real training and real numbers, in a few minutes.
using System.CommandLine;
using ExpertMix.Tensors;
using Spectre.Console;

namespace ExpertMix.Cli.Demo;

/// <summary>The `demo` verb.</summary>
internal static class DemoCommand
{
    /// <summary>Creates `demo`.</summary>
    public static Command Create()
    {
        var seed = new Option<ulong>("--seed") { Description = "Seed of the world, the base model and every phase (same seed, same numbers).", DefaultValueFactory = _ => 1 };
        var quick = new Option<bool>("--quick") { Description = "Small world and short training (about a minute; what CI runs)." };
        var output = new Option<string>("--out", "-o") { Description = "Report folder (index.html, SVGs, results.json; work files in work/).", DefaultValueFactory = _ => "demo-report" };
        var threads = new Option<int?>("--threads", "-t") { Description = "Worker threads (default: all cores)." };
        var model = new Option<string?>("--model", "-m") { Description = "Run the pipeline on this Hugging Face model directory instead of the embedded world (needs --domain)." };
        var domain = new Option<string[]>("--domain") { Description = "With --model: NAME=FILE, a prompt/completion JSONL per domain (repeatable; split 70/20/10 train/test/dev by id hash).", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the results table) instead of the table; progress lines go to stderr." };
        var cmd = new Command("demo", "Builds a multi-domain world, trains a base model, LoRA experts, merges, an X-LoRA gate and SVF experts, and evaluates them all.");
        foreach (var o in new Option[] { seed, quick, output, threads, model, domain, json }) cmd.Add(o);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(threads) is { } t) Engine.Threads = t >= 1 ? t : throw new UserErrorException($"--threads must be ≥ 1 (got {t})");
            var options = new DemoOptions(pr.GetValue(seed), pr.GetValue(quick) ? DemoMode.Quick : DemoMode.Full, pr.GetValue(output)!,
                pr.GetValue(json) ? DemoOutputFormat.Json : DemoOutputFormat.Table)
            {
                ModelDirectory = pr.GetValue(model),
                UserDomains = ParseDomains(pr.GetValue(domain) ?? []),
            };
            if (options.ModelDirectory is null && options.UserDomains.Count > 0) throw new UserErrorException("--domain needs --model DIR (the embedded world has its own domains)");
            if (options.ModelDirectory is not null && options.UserDomains.Count == 0) throw new UserErrorException("--model needs at least one --domain NAME=FILE");
            if (options.ModelDirectory is not null && !Directory.Exists(options.ModelDirectory)) throw new UserErrorException($"--model: directory not found: {options.ModelDirectory}");
            foreach (var (name, file) in options.UserDomains)
            {
                if (!File.Exists(file)) throw new UserErrorException($"--domain {name}: file not found: {file}");
            }
            return Run(options);
        });
        return cmd;
    }

    private static List<(string Name, string File)> ParseDomains(IEnumerable<string> values) => values.Select(v =>
    {
        int eq = v.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 && eq < v.Length - 1 ? (v[..eq], v[(eq + 1)..]) : throw new UserErrorException($"--domain expects NAME=FILE, got '{v}'");
    }).ToList();

    /// <summary>Runs the demo, writes the report and prints the results table (or JSON).</summary>
    public static int Run(DemoOptions options)
    {
        if (Directory.Exists(options.WorkDirectory)) Directory.Delete(options.WorkDirectory, recursive: true);
        Directory.CreateDirectory(options.WorkDirectory);
        var stdout = Console.Out;
        DemoResults results;
        DemoPipeline pipeline;
        bool live = options.Output == DemoOutputFormat.Table && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (live)
        {
            var console = AnsiConsole.Console;
            pipeline = null!;
            results = null!;
            console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    pipeline = new DemoPipeline(options, new SpectreDemoProgress(ctx));
                    results = pipeline.Run();
                });
        }
        else
        {
            pipeline = new DemoPipeline(options, new TextDemoProgress(Console.Error));
            results = pipeline.Run();
        }
        File.WriteAllLines(Path.Combine(options.WorkDirectory, "commands.txt"), pipeline.Commands);
        var files = DemoReportWriter.Write(results, options.ReportDirectory);
        DemoConsole.Write(results, stdout, options.Output, files);
        return 0;
    }
}

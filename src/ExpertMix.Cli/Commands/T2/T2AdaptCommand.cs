// `expertmix t2 adapt`: few-shot CEM over the expert mixture on dev shots; writes svf_mixture.json (spec §8, §9.3).
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models.Generation;

namespace ExpertMix.Cli.Commands.T2;

/// <summary>The `t2 adapt` verb.</summary>
internal static class T2AdaptCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var t2 = new T2Options("--strategy", enabledByDefault: true);
        var task = new Option<string>("--task") { Description = "The task: its dev split supplies the shots and its verifier the fitness.", Required = true };
        task.AcceptOnlyFromAmong([.. EvalTasks.Names]);
        var maxNew = new Option<int?>("--max-new-tokens") { Description = "Override the task's token limit for the shots' answers." };
        var format = new Option<string>("--prompt-format") { Description = "raw text or the model's chat template.", DefaultValueFactory = _ => "raw" };
        format.AcceptOnlyFromAmong("raw", "chat");
        var output = new Option<string>("--out") { Description = "Directory (or .json path) for svf_mixture.json.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (α, fitness, evaluations, per-iteration best)." };
        var cmd = new Command("adapt", "Few-shot adaptation (§9.3): CEM over mask-space mixture weights α ∈ [0, 1] of the experts on dev shots; writes svf_mixture.json.");
        model.AddTo(cmd);
        t2.AddTo(cmd);
        foreach (var o in new Option[] { task, maxNew, format, output, json }) cmd.Add(o);
        cmd.SetAction(pr =>
        {
            var args = t2.Bind(pr)! with { Mixture = null };
            args = args with { Options = args.Options with { Strategy = T2Strategy.FewShot } };
            if (args.Dev is null) throw new UserErrorException("--dev DATA is required (its dev split supplies the shots)");
            return Run(model.Bind(pr), args, EvalTasks.Get(pr.GetValue(task)!), pr.GetValue(maxNew), pr.GetValue(format) == "chat" ? PromptFormat.Chat : PromptFormat.Raw,
                pr.GetValue(output)!, pr.GetValue(json));
        });
        return cmd;
    }

    private static int Run(ModelArgs modelArgs, T2Args args, EvalTask task, int? maxNew, PromptFormat format, string output, bool json)
    {
        var runtime = args.Build(modelArgs, format);
        using var model = runtime.Generator.Model;
        using (runtime)
        {
            var result = args.AdaptIfNeeded(runtime, task, null, maxNew, json)!;
            string outFile = output.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? output : Path.Combine(output, SvfMixture.FileName);
            string outDir = Path.GetDirectoryName(Path.GetFullPath(outFile))!;
            var paths = result.Labels.Select(l => Path.GetRelativePath(outDir, Path.GetFullPath(args.Experts[l]))).ToList();
            string written = new SvfMixture(paths, result.Alpha, runtime.Options.Scope == MixtureScope.PerMatrix).Save(outFile);
            var report = new Dictionary<string, object?>
            {
                ["mixture"] = written,
                ["labels"] = result.Labels,
                ["alpha"] = result.Alpha,
                ["per_layer"] = runtime.Options.Scope == MixtureScope.PerMatrix,
                ["accuracy"] = result.Search.BestFitness.Primary,
                ["log_likelihood"] = result.Search.BestFitness.TieBreak,
                ["evaluations"] = result.Search.Evaluations,
                ["model_calls"] = result.ModelCalls,
                ["shots"] = args.Shots,
                ["seed"] = runtime.Options.Cem.Seed,
                ["seconds"] = result.Seconds,
                ["history"] = result.Search.History.Select(h => new { iteration = h.Iteration, accuracy = h.BestFitness.Primary, log_likelihood = h.BestFitness.TieBreak }).ToList(),
            };
            if (json)
            {
                Console.WriteLine(CliJson.Serialize(report));
                return 0;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"α over {string.Join(", ", result.Labels)} = [{string.Join(", ", result.Alpha.Take(12).Select(a => a.ToString("F4", CultureInfo.InvariantCulture)))}{(result.Alpha.Length > 12 ? ", …" : "")}]; shot accuracy {result.Search.BestFitness.Primary:P1}; {result.ModelCalls} answers in {result.Seconds:F1} s"));
            Console.WriteLine($"wrote {written}");
            return 0;
        }
    }
}

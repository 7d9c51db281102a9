// The naive-summation study (spec §7): train singles and joints, evaluate sums against joints, correlate with cosine.
using System.Diagnostics;
using System.Globalization;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Nn;

namespace ExpertMix.Adapters.Study;

/// <summary>Progress hooks of <see cref="SummationStudy.Run"/>.</summary>
/// <param name="Log">One line per stage (training a named adapter, evaluating a combination).</param>
/// <param name="Training">An observer for one adapter's training run (label such as "standard seed 1: math"), or null for none.</param>
internal sealed record StudyProgress(Action<string>? Log = null, Func<string, ITrainingObserver>? Training = null);

/// <summary>
/// Runs the summation study of <see cref="SummationStudyOptions"/>: for every objective and seed, one LoRA adapter per
/// domain and one joint adapter per combination (every pair, and all domains when there are more than two) trained
/// with the shared trainer; held-out perplexity of base, singles, delta-sum (the singles attached together at weight
/// 1, exactly ΣΔWᵢ), factor-sum ((ΣBᵢ)(ΣsᵢAᵢ) with cross terms) and the joint adapter; the cat merge's logits are
/// checked against delta-sum's; orthogonality and the composition error come from Gram traces. Adapters are saved as
/// PEFT directories under <c>adapters/&lt;objective&gt;/seed-&lt;s&gt;/</c> and reused by a rerun with the same recipe
/// (a training interrupted midway resumes from its last checkpoint), so adding seeds or objectives costs only the new runs.
/// </summary>
internal static class SummationStudy
{
    /// <summary>File beside the results that pins the training recipe of an output folder.</summary>
    public const string RecipeFile = "study-recipe.txt";

    /// <summary>Runs the study and writes report.json, report.md and one scatter SVG per objective into the output folder.</summary>
    /// <exception cref="ArgumentException">Invalid options (see <see cref="SummationStudyOptions.Validate"/>).</exception>
    /// <exception cref="InvalidOperationException">The output folder holds adapters trained with another recipe, or a training diverged.</exception>
    public static SummationReport Run(SummationStudyOptions options, StudyProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        progress ??= new StudyProgress();
        var clock = Stopwatch.StartNew();
        using var model = CausalLm.Load(options.ModelDirectory, LoadOptions.Default with { DType = DTypePolicy.F32 });
        var targets = options.Targets ?? DefaultTargets(model.Info.ModelType);
        var lora = new LoraConfig
        {
            Rank = options.Rank,
            Alpha = options.Alpha,
            Dropout = options.Dropout,
            TargetModules = targets,
            BaseModelNameOrPath = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.ModelDirectory))),
        };
        PinRecipe(options, targets);
        var data = new StudyData(options, Tokenizer.FromDirectory(options.ModelDirectory));
        using var host = new LoraHost(model);
        var combos = Combinations(options.Domains.Select(d => d.Name).ToList());
        int modules = host.ResolveTargets(lora).Count;
        var results = new List<ObjectiveResult>();
        foreach (var objective in options.Objectives)
        {
            var run = new ObjectiveRun(options, objective, host, data, lora, progress);
            results.Add(run.Execute(combos));
        }
        var report = new SummationReport(options, $"{model.Info.Architecture} ({model.Info.ParameterCount:N0} parameters)", targets.ToString()!, modules,
            ParameterCount(host, lora), data.Sizes, results, clock.Elapsed.TotalSeconds);
        Write(options.OutputDirectory, "report.json", report.ToJson());
        Write(options.OutputDirectory, "report.md", report.ToMarkdown());
        foreach (var r in results) Write(options.OutputDirectory, $"scatter-{r.Objective.ToString().ToLowerInvariant()}.svg", SummationReport.Scatter(r));
        return report;
    }

    /// <summary>The paper's targets on GPT-2 (c_attn, c_proj: 36 modules on GPT-2 small); the attention projections and down_proj elsewhere.</summary>
    public static TargetModules DefaultTargets(string modelType) => modelType == "gpt2"
        ? TargetModules.List(["c_attn", "c_proj"])
        : TargetModules.List(["q_proj", "k_proj", "v_proj", "o_proj", "down_proj"]);

    /// <summary>Every pair of <paramref name="names"/> in order, then all of them when there are more than two.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Combinations(IReadOnlyList<string> names)
    {
        var list = new List<IReadOnlyList<string>>();
        for (int i = 0; i < names.Count; i++)
        {
            for (int j = i + 1; j < names.Count; j++) list.Add([names[i], names[j]]);
        }
        if (names.Count > 2) list.Add(names.ToArray());
        return list;
    }

    /// <summary>exp of the batches' loss under <paramref name="protocol"/>, in eval mode without a tape.</summary>
    internal static double Perplexity(ICausalLm model, IEnumerable<TrainingBatch> batches, PerplexityProtocol protocol)
    {
        var loss = LossEvaluation.Run(batches, batch => CausalLmLoss.Compute(model, batch, ForwardMode.Eval));
        return Math.Exp(protocol == PerplexityProtocol.TokenWeighted ? loss.TokenWeighted : loss.MeanOfBatches);
    }

    private static long ParameterCount(LoraHost host, LoraConfig lora)
    {
        var paths = host.ResolveTargets(lora);
        var byPath = host.Model.Linears.ToDictionary(s => s.ModulePath, s => s.Module);
        return paths.Sum(p => (long)lora.RankFor(p) * (byPath[p].InFeatures + byPath[p].OutFeatures));
    }

    /// <summary>Refuses to mix adapters of different recipes in one output folder.</summary>
    private static void PinRecipe(SummationStudyOptions o, TargetModules targets)
    {
        string recipe = string.Join('\n', new object[]
        {
            Path.GetFullPath(o.ModelDirectory), string.Join(';', o.Domains.Select(d => $"{d.Name}={Path.GetFullPath(d.File)}")), o.Rank, o.Alpha, targets, o.Dropout,
            o.Steps, o.BatchSize, o.MaxLength, o.LearningRate, o.WeightDecay, o.Init, o.SplitSeed, o.MaxTrainRows,
        }.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture)));
        string path = Path.Combine(o.OutputDirectory, RecipeFile);
        Directory.CreateDirectory(o.OutputDirectory);
        if (File.Exists(path))
        {
            string old = File.ReadAllText(path);
            if (old != recipe)
            {
                throw new InvalidOperationException($"{o.OutputDirectory} holds a study trained with another recipe ({path}: "
                    + $"{old.Replace('\n', ' ')} vs now {recipe.Replace('\n', ' ')}); choose another --out or delete it");
            }
            return;
        }
        Write(o.OutputDirectory, RecipeFile, recipe);
    }

    internal static void Write(string dir, string name, string text)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name), tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}

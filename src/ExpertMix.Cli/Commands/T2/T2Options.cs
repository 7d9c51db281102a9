// Options shared by `t2 generate|adapt|eval` and `eval --t2`: the expert map, the strategy and the few-shot search.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models.Generation;

namespace ExpertMix.Cli.Commands.T2;

/// <summary>The Transformer² options (strategy under <c>--strategy</c> or <c>--t2</c>).</summary>
internal sealed class T2Options
{
    /// <summary>The CLI names of <see cref="T2Strategy"/>.</summary>
    public static readonly IReadOnlyDictionary<string, T2Strategy> Strategies = new Dictionary<string, T2Strategy>
    {
        ["prompt"] = T2Strategy.Prompt,
        ["classifier"] = T2Strategy.Classifier,
        ["label-score"] = T2Strategy.LabelScore,
        ["classifier-score"] = T2Strategy.ClassifierScore,
        ["few-shot"] = T2Strategy.FewShot,
    };

    /// <summary>Creates the options; <paramref name="strategyName"/> is <c>--strategy</c> (t2 verbs, default prompt) or <c>--t2</c> (eval, off by default).</summary>
    public T2Options(string strategyName, bool enabledByDefault)
    {
        Strategy = new Option<string?>(strategyName)
        {
            Description = "Transformer² first pass: prompt (§9.1), classifier (§9.2, needs --classifier), label-score (§9.4, one prefill), classifier-score (§9.4 under the --classifier expert) or few-shot (§9.3 CEM).",
            DefaultValueFactory = _ => enabledByDefault ? "prompt" : null,
        };
        Strategy.AcceptOnlyFromAmong([.. Strategies.Keys]);
        Experts.Required = enabledByDefault;
        Dispatch.AcceptOnlyFromAmong("hard", "soft");
        Scope.AcceptOnlyFromAmong("global", "per-matrix");
    }

    public Option<string?> Strategy { get; }

    public Option<string?> Experts { get; } = new("--experts") { Description = "The expert map: code=DIR,math=DIR,reasoning=DIR (any subset; 'other' always runs the base weights), or one entry per --label category." };

    public Option<string[]> Labels { get; } = new("--label")
    {
        Description = "A first-pass category of your own, LABEL=one-line description (repeatable, in dispatch order); replaces the paper's code/math/reasoning. Each needs an expert in --experts. The classification prompt is generated from the labels and descriptions.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> FallbackLabel { get; } = new("--fallback-label") { Description = "With --label: the fallback category that runs the base weights (default other)." };

    public Option<string?> Classifier { get; } = new("--classifier") { Description = "The SVF classification expert of the classifier strategy." };

    public Option<string> Dispatch { get; } = new("--dispatch") { Description = "label-score, classifier-score: hard (argmax expert) or soft (softmax(scores/τ) mask-space mixture).", DefaultValueFactory = _ => "hard" };

    public Option<double> Temperature { get; } = new("--temperature-dispatch") { Description = "τ of the soft dispatch.", DefaultValueFactory = _ => 1.0 };

    public Option<bool> LenientLabels { get; } = new("--lenient-labels") { Description = "Trim and lower-case the boxed label before matching (§9.1)." };

    public Option<int> FirstPassTokens { get; } = new("--first-pass-tokens") { Description = "Greedy token limit of the generating first pass.", DefaultValueFactory = _ => 32 };

    public Option<string?> ClassificationSystem { get; } = new("--classification-system") { Description = "Replace the reference §9.1 system text of the classification chat (for models whose positions cannot hold it; not the reference strategy)." };

    public Option<string?> ClassificationSystemFile { get; } = new("--classification-system-file") { Description = "Like --classification-system, read from a UTF-8 file (trailing newlines dropped)." };

    public Option<string?> Category { get; } = new("--category") { Description = "eval: the true category of the data for the dispatch confusion matrix (one of the labels: code, math, reasoning, other or your --label names; default from the task: gsm8k → math, arc → reasoning, mbpp/humaneval → code; with --label the fallback)." };

    public Option<string?> Mixture { get; } = new("--mixture") { Description = "few-shot: an svf_mixture.json from `t2 adapt` (skips the search)." };

    public Option<string?> Dev { get; } = new("--dev") { Description = "few-shot: the data whose dev split supplies the shots (disjoint from test; eval default: --data)." };

    public Option<int> Shots { get; } = new("--shots") { Description = "few-shot: number of dev shots.", DefaultValueFactory = _ => 10 };

    public Option<int> Validation { get; } = new("--validation") { Description = "few-shot: further dev examples (disjoint from the shots) on which the best α is checked every 10 iterations; the best-checked α is kept (0 = off)." };

    public Option<int?> CemIterations { get; } = new("--cem-iterations") { Description = "few-shot: CEM iterations (default 50)." };

    public Option<int?> TestInterval { get; } = new("--cem-test-interval") { Description = "few-shot: iterations between dev checks of the best α (default 10; needs --validation)." };

    public Option<int?> Population { get; } = new("--population") { Description = "few-shot: CEM candidates per iteration (default 32)." };

    public Option<string> Scope { get; } = new("--alpha-scope") { Description = "few-shot: global (K numbers) or per-matrix (K×M, the reference).", DefaultValueFactory = _ => "global" };

    public Option<ulong> CemSeed { get; } = new("--cem-seed") { Description = "few-shot: seed of the CEM and of the shot subset.", DefaultValueFactory = _ => 42UL };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Strategy, Experts, Labels, FallbackLabel, Classifier, Dispatch, Temperature, LenientLabels, FirstPassTokens, ClassificationSystem, ClassificationSystemFile, Category, Mixture, Dev, Shots, Validation, CemIterations, TestInterval, Population, Scope, CemSeed }) command.Add(o);
    }

    /// <summary>The typed values (null when no strategy is chosen).</summary>
    public T2Args? Bind(ParseResult pr)
    {
        if (pr.GetValue(Strategy) is not { } s)
        {
            if (pr.GetValue(Experts) is not null || pr.GetValue(Classifier) is not null || pr.GetValue(Labels) is { Length: > 0 })
            {
                throw new UserErrorException($"--experts/--classifier/--label need a Transformer² strategy ({Strategy.Name} {string.Join("|", Strategies.Keys)})");
            }
            return null;
        }
        var categories = ParseCategories(pr.GetValue(Labels) ?? [], pr.GetValue(FallbackLabel));
        var experts = ParseExperts(pr.GetValue(Experts));
        CheckExperts(categories, experts);
        var cem = new CemOptions { Seed = pr.GetValue(CemSeed) };
        if (pr.GetValue(CemIterations) is { } it) cem = cem with { Iterations = it >= 1 ? it : throw new UserErrorException($"--cem-iterations must be ≥ 1 (got {it})") };
        if (pr.GetValue(TestInterval) is { } ti) cem = cem with { TestInterval = ti >= 1 ? ti : throw new UserErrorException($"--cem-test-interval must be ≥ 1 (got {ti})") };
        if (pr.GetValue(Population) is { } pop) cem = cem with { Population = pop >= 2 ? pop : throw new UserErrorException($"--population must be ≥ 2 (got {pop})") };
        int shots = pr.GetValue(Shots);
        if (shots < 1) throw new UserErrorException($"--shots must be ≥ 1 (got {shots})");
        int validation = pr.GetValue(Validation);
        if (validation < 0) throw new UserErrorException($"--validation must be ≥ 0 (got {validation})");
        string? category = pr.GetValue(Category);
        if (category is not null && !categories.Labels.Contains(category)) throw new UserErrorException($"--category must be one of {string.Join(", ", categories.Labels)} (got '{category}')");
        var options = new Transformer2Options
        {
            Strategy = Strategies[s],
            Categories = categories,
            Dispatch = pr.GetValue(Dispatch) == "soft" ? LabelDispatch.Soft : LabelDispatch.Hard,
            Temperature = pr.GetValue(Temperature),
            Parsing = pr.GetValue(LenientLabels) ? LabelParsing.Lenient : LabelParsing.Faithful,
            FirstPassMaxNewTokens = pr.GetValue(FirstPassTokens),
            ClassificationSystem = SystemText(pr.GetValue(ClassificationSystem), pr.GetValue(ClassificationSystemFile)),
            Scope = pr.GetValue(Scope) == "per-matrix" ? MixtureScope.PerMatrix : MixtureScope.Global,
            Cem = cem,
        };
        return new T2Args(s, options, experts, pr.GetValue(Classifier), pr.GetValue(Mixture), pr.GetValue(Dev), shots) { Validation = validation, Category = category };
    }

    /// <summary>The replacement system text: the option's text, or the file's contents (not both).</summary>
    private static string? SystemText(string? text, string? file)
    {
        if (file is null) return text;
        if (text is not null) throw new UserErrorException("give --classification-system or --classification-system-file, not both");
        return File.Exists(file) ? File.ReadAllText(file).TrimEnd('\n', '\r') : throw new UserErrorException($"--classification-system-file: file not found: {file}");
    }

    /// <summary>
    /// The categories of <c>--label LABEL=DESCRIPTION</c> (in order; the fallback <c>--fallback-label</c>, default
    /// <c>other</c>), or the paper's when none is given.
    /// </summary>
    /// <exception cref="UserErrorException">A value without '=' or with an empty part, a duplicate or invalid label, or --fallback-label without --label.</exception>
    internal static ClassificationCategories ParseCategories(IReadOnlyList<string> labels, string? fallback)
    {
        if (labels.Count == 0)
        {
            if (fallback is not null) throw new UserErrorException("--fallback-label needs --label categories (the paper's fallback is 'other')");
            return ClassificationCategories.Paper;
        }
        var categories = new List<ClassificationCategory>();
        foreach (string spec in labels)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? "" : spec[..eq].Trim(), description = eq < 0 ? "" : spec[(eq + 1)..].Trim();
            if (name.Length == 0 || description.Length == 0) throw new UserErrorException($"--label: '{spec}' is not LABEL=DESCRIPTION (e.g. --label \"chemistry=Questions about chemical elements.\")");
            categories.Add(new ClassificationCategory(name, description));
        }
        try
        {
            return ClassificationCategories.Create(categories, fallback ?? ClassificationPrompt.Other);
        }
        catch (ArgumentException e)
        {
            throw new UserErrorException($"--label: {e.Message}", e);
        }
    }

    /// <summary>
    /// Every expert names an expert category (never the fallback); with user categories every category has an expert.
    /// </summary>
    /// <exception cref="UserErrorException">An unknown or fallback category in --experts, or a --label category without an expert.</exception>
    internal static void CheckExperts(ClassificationCategories categories, IReadOnlyDictionary<string, string> experts)
    {
        foreach (string label in experts.Keys)
        {
            if (label == categories.Fallback) throw new UserErrorException($"--experts: '{label}' is the fallback category and always runs the base weights; do not map an expert to it");
            if (!categories.ExpertLabels.Contains(label))
            {
                string hint = categories.IsPaper ? "; name your own categories with --label LABEL=DESCRIPTION" : "";
                throw new UserErrorException($"--experts: unknown category '{label}' (the categories are {string.Join(", ", categories.ExpertLabels)}{hint})");
            }
        }
        if (categories.IsPaper) return;
        var missing = categories.ExpertLabels.Where(l => !experts.ContainsKey(l)).ToList();
        if (missing.Count > 0) throw new UserErrorException($"--label {string.Join(", ", missing)}: no expert in --experts (give {string.Join(",", missing.Select(l => l + "=DIR"))})");
    }

    /// <summary>Parses <c>cat=DIR,cat=DIR</c>.</summary>
    internal static IReadOnlyDictionary<string, string> ParseExperts(string? text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1) throw new UserErrorException($"--experts: '{part}' is not CATEGORY=DIR");
            string cat = part[..eq].Trim(), dir = part[(eq + 1)..].Trim();
            if (!map.TryAdd(cat, dir)) throw new UserErrorException($"--experts: category '{cat}' is given twice");
            if (!Directory.Exists(dir)) throw new UserErrorException($"--experts: the {cat} expert directory does not exist: {dir}");
        }
        return map;
    }
}

/// <summary>The typed Transformer² options of one parse.</summary>
internal sealed record T2Args(string StrategyName, Transformer2Options Options, IReadOnlyDictionary<string, string> Experts, string? Classifier, string? Mixture, string? Dev, int Shots)
{
    /// <summary>Dev examples beyond the shots for the CEM's periodic dev check (0 = none).</summary>
    public int Validation { get; init; }

    /// <summary>The data's true category for the dispatch confusion matrix (null = from the task name).</summary>
    public string? Category { get; init; }

    /// <summary>Loads the model (without --svf), the basis, the experts and the classifier into a runtime (which the caller disposes before the model).</summary>
    public Transformer2 Build(ModelArgs model, PromptFormat format)
    {
        if (model.Svf is not null) throw new UserErrorException("--svf cannot be combined with a Transformer² strategy (the runtime installs its experts itself)");
        if (Options.Strategy is not (T2Strategy.FewShot or T2Strategy.Classifier or T2Strategy.ClassifierScore) && Experts.Count == 0) throw new UserErrorException("--experts is required (e.g. math=DIR,code=DIR)");
        if (Options.Strategy is T2Strategy.Classifier or T2Strategy.ClassifierScore && Classifier is null) throw new UserErrorException($"--strategy {StrategyName} needs --classifier DIR");
        var generator = model.LoadGenerator();
        Transformer2? t2 = null;
        try
        {
            t2 = Transformer2.Load(generator, Experts, Options with { SecondPassFormat = format }, Classifier, model.SvfBasis, model.Directory, ModelArgs.SvfProgressLine);
            if (Mixture is not null)
            {
                var mixture = SvfMixture.Load(Mixture);
                for (int k = 0; k < Math.Min(mixture.Experts.Count, t2.MixtureLabels.Count); k++)
                {
                    string mine = Path.GetFullPath(Experts[t2.MixtureLabels[k]]);
                    if (!string.Equals(Path.TrimEndingDirectorySeparator(mine), Path.TrimEndingDirectorySeparator(mixture.Experts[k]), StringComparison.Ordinal))
                    {
                        Console.Error.WriteLine($"warning: {Mixture}: α[{k}] was fitted for {mixture.Experts[k]}, but --experts gives {t2.MixtureLabels[k]} = {mine}");
                    }
                }
                t2.UseMixture(mixture.Alpha);
            }
            return t2;
        }
        catch
        {
            t2?.Dispose();
            generator.Model.Dispose();
            throw;
        }
    }

    /// <summary>Runs the few-shot search when the strategy is few-shot and no α is loaded yet; progress goes to stderr. Null otherwise.</summary>
    public T2FewShotResult? AdaptIfNeeded(Transformer2 t2, EvalTask? task, string? defaultDev, int? maxNewTokens, bool quiet)
    {
        if (Options.Strategy != T2Strategy.FewShot || t2.FewShotAlpha is not null) return null;
        if (task is null) throw new UserErrorException("few-shot needs --task (the shots' prompts and verifier) and --dev, or a --mixture from `t2 adapt`");
        string dev = Dev ?? defaultDev ?? throw new UserErrorException("few-shot needs --dev DATA (its dev split supplies the shots), or a --mixture from `t2 adapt`");
        var pool = task.Examples(dev, EvalSplit.Dev, Shots + Validation, (int)(Options.Cem.Seed % int.MaxValue));
        if (pool.Count == 0) throw new UserErrorException($"{dev}: the dev split of {task.Name} is empty");
        if (Validation > 0 && pool.Count <= Shots) throw new UserErrorException($"{dev}: the dev split of {task.Name} has {pool.Count} examples; --shots {Shots} + --validation {Validation} need more");
        var shots = pool.Take(Shots).ToList();
        var validation = pool.Skip(Shots).ToList();
        return t2.AdaptFewShot(task, shots, validation, maxNewTokens, quiet ? null : it =>
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CEM {it.Iteration + 1}/{Options.Cem.Iterations}: best accuracy {it.BestFitness.Primary:F3}, log-likelihood {it.BestFitness.TieBreak:F4}")));
    }
}

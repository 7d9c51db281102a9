// The demo's pipeline: world → base model → LoRA experts → merges → orthogonality → X-LoRA → SVF / Transformer² → evaluation.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Models.Chat;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// Runs the whole demo. Every phase after pretraining is an <c>expertmix</c> command run in-process
/// (<see cref="DemoVerbs"/>), so the demo is exactly what a user could type; the commands are listed in the report.
/// Methods evaluated on each domain's test set and on the cross-domain set (exact match, greedy):
/// base; each LoRA expert alone; naive summation of all experts (runtime Σ of deltas); TIES and cat merges; the X-LoRA
/// gate over the experts; each SVF expert alone; Transformer² with the domains as categories (<see cref="DemoTransformer2"/>):
/// prompt (the base classifies in the chat), label-score (the base's likelihood of each label), classifier-score (the
/// labels' likelihood under an SVF classification expert trained on the training questions' domains) and few-shot (CEM over the SVF experts' mixture,
/// shots from the set's dev split). The dispatch of the classifying strategies is recorded per set (<see cref="DemoDispatch"/>).
/// </summary>
internal sealed class DemoPipeline(DemoOptions options, IDemoProgress progress)
{
    private readonly List<DemoTiming> _timings = [];
    private readonly List<DemoCurve> _curves = [];
    private readonly List<string> _commands = [];

    private string Work => options.WorkDirectory;

    private string Data(string domain, DemoSplit split) => Path.Combine(Work, "data", DemoWorldWriter.FileName(domain, split));

    /// <summary>The command lines run, in order (for the report).</summary>
    public IReadOnlyList<string> Commands => _commands;

    /// <summary>Runs every phase and returns the measured results.</summary>
    public DemoResults Run()
    {
        var recipe = options.Recipe;
        string seed = options.Seed.ToString(CultureInfo.InvariantCulture);
        var (domains, cross, heatmapQuestion, model, description) = options.ModelDirectory is null ? PrepareEmbedded() : PrepareUser();
        var sets = cross is null ? domains : [.. domains, cross];

        var experts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in domains)
        {
            string run = Path.Combine(Work, "lora", d);
            Verb($"LoRA expert: {d}", 0, ["lora", "train", "--model", model, "--data", Data(d, DemoSplit.Train), "--out", run,
                "--rank", Inv(recipe.LoraRank), "--targets", "all-linear", "--epochs", Inv(recipe.LoraEpochs), "--lr", Inv(recipe.LoraLearningRate),
                "--batch-size", "16", "--schedule", "cosine", "--warmup", "10", "--seed", seed, "--json"]);
            experts[d] = Path.Combine(run, "adapter");
            AddCurve($"lora:{d}", Path.Combine(run, "metrics.jsonl"));
        }

        var merges = Timed("merge experts", () => new[] { "peft-ties", "cat" }.ToDictionary(m => m, m =>
        {
            string outDir = Path.Combine(Work, "merge", m);
            var args = new List<string> { "lora", "merge", "--out", outDir, "--json" };
            foreach (var e in experts.Values) args.AddRange(["--adapter", e]);
            args.AddRange(["--method", m]);
            if (m == "peft-ties") args.AddRange(["--density", "0.5"]);
            Verb($"merge: {m}", 0, args);
            return outDir;
        }));
        var orthogonality = Timed("orthogonality", () => Orthogonality(experts));

        string gate = Path.Combine(Work, "xlora");
        var gateArgs = new List<string> { "xlora", "train", "--model", model, "--out", gate, "--epochs", Inv(recipe.XLoraEpochs), "--lr", "3e-3",
            "--depth", "2", "--size", "64", "--temperature", "0.2", "--gate-dropout", "0", "--batch-size", "16", "--seed", seed, "--json" };
        foreach (var (d, dir) in experts) gateArgs.AddRange(["--adapter", $"{d}={dir}"]);
        foreach (var set in sets) gateArgs.AddRange(["--data", Data(set, DemoSplit.Train)]);
        Verb("X-LoRA gate", 0, gateArgs);
        string gateDir = Path.Combine(gate, "adapter");
        AddCurve("xlora", Path.Combine(gate, "metrics.jsonl"));
        var scalings = Timed("X-LoRA scalings heatmap", () => Scalings(model, gateDir, heatmapQuestion));

        var svf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in domains)
        {
            string run = Path.Combine(Work, "svf", d);
            Verb($"SVF expert: {d}", recipe.SvfSteps, ["svf", "train", "--model", model, "--data", Data(d, DemoSplit.Train), "--task", "sft", "--mode", "sft",
                "--out", run, "--iterations", Inv(recipe.SvfSteps), "--batch", "16", "--lr", "0.05", "--targets", "all", "--seed", seed, "--json"]);
            svf[d] = Path.Combine(run, "expert");
            AddCurve($"svf:{d}", Path.Combine(run, "metrics.jsonl"));
        }

        var categories = DemoTransformer2.Categories(domains, out string? categoryProblem);
        bool classify = categories is not null && ChatTemplate.FromDirectory(model) is not null;
        if (!classify)
        {
            Console.Error.WriteLine($"demo: Transformer² prompt / label-score / classifier skipped: {(categories is null ? $"the domain names are no category labels ({categoryProblem})" : $"{model} has no chat template")}");
        }
        string? classifier = classify ? TrainClassifier(model, categories!, domains) : null;

        var methods = new List<(string Name, string[] Args)> { ("base", []) };
        methods.AddRange(experts.Select(e => ($"expert:{e.Key}", new[] { "--adapter", e.Value })));
        methods.Add(("merge:naive-sum", [.. experts.Values.SelectMany(v => new[] { "--adapter", v })]));
        methods.AddRange(merges.Select(m => ($"merge:{(m.Key == "peft-ties" ? "ties" : m.Key)}", new[] { "--adapter", m.Value })));
        methods.Add(("xlora", ["--xlora", gateDir]));
        methods.AddRange(svf.Select(e => ($"svf:{e.Key}", new[] { "--svf", e.Value })));
        var rows = new List<DemoRow>();
        var dispatch = new List<DemoDispatch>();
        foreach (var (name, extra) in methods) rows.Add(Timed($"evaluate {name}", () => Evaluate(name, model, sets, extra, perplexity: true)));
        if (classify)
        {
            var t2 = DemoTransformer2.Arguments(categories!, svf);
            string firstPass = Inv(DemoTransformer2.FirstPassTokens);
            foreach (var (name, extra) in new (string, string[])[]
            {
                ("t2:prompt", ["--t2", "prompt", "--first-pass-tokens", firstPass]),
                ("t2:label-score", ["--t2", "label-score"]),
                ("t2:classifier-score", ["--t2", "classifier-score", "--classifier", classifier!]),
            })
            {
                rows.Add(Timed($"evaluate {name}", () => Evaluate(name, model, sets, [.. extra, .. t2], perplexity: false, dispatch: dispatch)));
            }
        }
        List<string> fewShot = categories is null
            ? ["--experts", string.Join(',', new[] { "math", "reasoning", "code" }.Zip(domains, (label, d) => $"{label}={svf[d]}"))]
            : DemoTransformer2.Arguments(categories, svf);
        rows.Add(Timed("evaluate t2:few-shot", () => Evaluate("t2:few-shot", model, sets,
            ["--t2", "few-shot", .. fewShot, "--shots", "8", "--cem-iterations", Inv(recipe.CemIterations), "--population", Inv(recipe.CemPopulation),
             "--cem-seed", seed], perplexity: false, devShots: true)));

        var interference = Timed("interference", () => Interference(model, experts, orthogonality));
        var info = new DemoRunInfo(options.Seed, options.Mode, description, $"{Environment.OSVersion}, {Environment.ProcessorCount} cores", Engine.Threads);
        return new DemoResults(info, sets, rows, _timings, _curves, orthogonality, interference, scalings) { Dispatch = dispatch };
    }

    /// <summary>
    /// The §9.2 classification expert, trained cheaply: <c>svf train --mode sft</c> (the SVF experts' steps, batch 8, lr 0.3) on
    /// "classification chat + Classification: \boxed{" → "domain}" for every domain's training question.
    /// </summary>
    private string TrainClassifier(string model, ClassificationCategories categories, IReadOnlyList<string> domains)
    {
        string data = Path.Combine(Work, "data", DemoTransformer2.ClassifierDataFile);
        DemoTransformer2.WriteClassifierData(categories, domains.ToDictionary(d => d, d => Data(d, DemoSplit.Train)), ChatTemplate.FromDirectory(model)!,
            Models.Tokenization.Tokenizer.FromDirectory(model), data);
        string run = Path.Combine(Work, "svf", "classifier");
        var steps = options.Recipe.SvfSteps;
        Verb("SVF classification expert", steps, ["svf", "train", "--model", model, "--data", data, "--task", "sft", "--mode", "sft", "--out", run,
            "--iterations", Inv(steps), "--batch", "8", "--lr", "0.3", "--targets", "all", "--max-length", "256", "--seed", options.Seed.ToString(CultureInfo.InvariantCulture), "--json"]);
        AddCurve("svf:classifier", Path.Combine(run, "metrics.jsonl"));
        return Path.Combine(run, "expert");
    }

    /// <summary>
    /// Evaluates one method on every set (<c>eval --task qa-jsonl</c>, and <c>score</c> when <paramref name="perplexity"/>);
    /// with <paramref name="dispatch"/>, the runtime's per-label dispatch counts of each set (the eval's <c>t2</c> section)
    /// are added to it as one <see cref="DemoDispatch"/>.
    /// </summary>
    private DemoRow Evaluate(string method, string model, IReadOnlyList<string> sets, string[] extra, bool perplexity, bool devShots = false, List<DemoDispatch>? dispatch = null)
    {
        var scores = new List<DemoScore>();
        var dispatchRows = new List<DemoDispatchRow>();
        IReadOnlyList<string> labels = [];
        foreach (var set in sets)
        {
            var args = new List<string> { "eval", "--task", "qa-jsonl", "--data", Data(set, DemoSplit.Test), "--model", model, "--max-new-tokens", "16", "--json" };
            args.AddRange(extra);
            if (devShots) args.AddRange(["--dev", Data(set, DemoSplit.Dev)]);
            var eval = Verb(null, 0, args);
            int n = eval["n"]!.GetValue<int>();
            int correct = (int)Math.Round(eval["accuracy"]!.GetValue<double>() * n);
            double? ppl = null;
            if (perplexity)
            {
                var score = Verb(null, 0, ["score", "--model", model, "--data", Data(set, DemoSplit.Test), "--json", .. extra]);
                ppl = score["perplexity"]!.GetValue<double>();
            }
            scores.Add(new DemoScore(set, correct, n, ppl));
            if (dispatch is not null && eval["t2"] is JsonObject t2)
            {
                labels = [.. t2["labels"]!.AsArray().Select(l => l!.GetValue<string>())];
                dispatchRows.Add(new DemoDispatchRow(set, [.. labels.Select(l => t2["dispatch"]![l]!.GetValue<int>())]));
            }
        }
        if (dispatch is not null && dispatchRows.Count > 0) dispatch.Add(new DemoDispatch(method, labels, dispatchRows));
        return new DemoRow(method, scores);
    }

    /// <summary>Pairwise orthogonality of the experts (what `lora analyze` reports), with the experts named by domain.</summary>
    private static DemoOrthogonality Orthogonality(IReadOnlyDictionary<string, string> experts)
    {
        var loaded = experts.Select(e => PeftFormat.Load(e.Value, e.Key)).ToList();
        try
        {
            return DemoOrthogonality.FromMatrix(Adapters.Analysis.Orthogonality.Pairwise(loaded.Select(a => new MergeInput(a, 1f)).ToList()));
        }
        finally
        {
            foreach (var a in loaded) a.Dispose();
        }
    }

    /// <summary>
    /// Predicted vs measured interference of every pair of experts summed naively: predicted = their RMS cosine, measured =
    /// ΔPPL% of the pair's Σ of deltas against each expert alone, on the union of the two domains' test sets (token-weighted).
    /// </summary>
    private List<DemoInterference> Interference(string model, IReadOnlyDictionary<string, string> experts, DemoOrthogonality orthogonality)
    {
        var names = experts.Keys.ToList();
        var points = new List<DemoInterference>();
        for (int i = 0; i < names.Count; i++)
        {
            for (int j = i + 1; j < names.Count; j++)
            {
                string a = names[i], b = names[j];
                double merged = 0, alone = 0;
                foreach (var d in new[] { a, b })
                {
                    merged += Math.Log(Verb(null, 0, ["score", "--model", model, "--data", Data(d, DemoSplit.Test), "--adapter", experts[a], "--adapter", experts[b], "--json"])["perplexity"]!.GetValue<double>());
                    alone += Math.Log(Verb(null, 0, ["score", "--model", model, "--data", Data(d, DemoSplit.Test), "--adapter", experts[d], "--json"])["perplexity"]!.GetValue<double>());
                }
                double ratio = Math.Exp((merged - alone) / 2); // geometric mean over the two domains
                var pair = orthogonality.Pairs.First(p => (p.AdapterI == a && p.AdapterJ == b) || (p.AdapterI == b && p.AdapterJ == a));
                points.Add(new DemoInterference([a, b], "merge:naive-sum", pair.RmsCosine, 100 * (ratio - 1), "experts"));
            }
        }
        return points;
    }

    /// <summary>The gate's scalings over a question and its gold answer, as `xlora scalings` draws them.</summary>
    private DemoScalings Scalings(string model, string gateDir, string text)
    {
        string svg = Path.Combine(Work, "xlora-scalings.svg");
        Verb(null, 0, ["xlora", "scalings", "--model", model, "--xlora", gateDir, "--prompt", text, "--out", svg,
            "--json", Path.Combine(Work, "xlora-scalings.json")], expectJson: false);
        return DemoScalings.FromFile(text, svg);
    }

    /// <summary>The embedded world: tables → data files, then a base model pretrained from scratch on the world's sentences.</summary>
    private (List<string> Domains, string? Cross, string Heatmap, string Model, string Description) PrepareEmbedded()
    {
        var world = Timed("build world", () =>
        {
            var worldOptions = (options.Mode == DemoMode.Quick ? DemoWorldOptions.Quick : new DemoWorldOptions()) with { Seed = options.Seed };
            var w = DemoWorld.Build(worldOptions);
            DemoWorldWriter.Write(w, Path.Combine(Work, "data"));
            return w;
        });
        var baseOptions = (options.Mode == DemoMode.Quick ? DemoBaseModelOptions.Quick : new DemoBaseModelOptions()) with { Seed = options.Seed };
        var pretrained = Timed("pretrain base model", () =>
        {
            using var phase = progress.Begin("pretrain base model", baseOptions.Steps);
            return DemoBaseModel.Pretrain(world, baseOptions, Work, phase.Observer);
        });
        AddCurve("base", Path.Combine(Work, "pretrain", "metrics.jsonl"));
        var question = world.CrossDomain.Test.FirstOrDefault(q => q.Id.Contains("/symbol-and-code/", StringComparison.Ordinal)) ?? world.CrossDomain.Test[0];
        string description = $"Llama trained from scratch on the world's sentences: {baseOptions.Layers} layers, hidden {baseOptions.HiddenSize}, byte-level tokenizer";
        return (world.Domains.Select(d => d.Name).ToList(), world.CrossDomain.Name, question.Prompt + question.Completion.TrimEnd('\n'), pretrained.ModelDirectory, description);
    }

    /// <summary>A user's model and domains (no cross-domain set; the heatmap shows the first domain's first test prompt).</summary>
    private (List<string> Domains, string? Cross, string Heatmap, string Model, string Description) PrepareUser()
    {
        if (options.UserDomains.Count == 0) throw new UserErrorException("--model needs at least one --domain NAME=FILE");
        Timed("split user data", () =>
        {
            DemoUserData.Write(options.UserDomains, Path.Combine(Work, "data"));
            return 0;
        });
        string first = File.ReadLines(Data(options.UserDomains[0].Name, DemoSplit.Test)).First();
        string prompt = System.Text.Json.JsonDocument.Parse(first).RootElement.GetProperty("prompt").GetString()!;
        return (options.UserDomains.Select(d => d.Name).ToList(), null, prompt, options.ModelDirectory!, Path.GetFullPath(options.ModelDirectory!));
    }

    private JsonObject Verb(string? phase, int steps, IReadOnlyList<string> args, bool expectJson = true)
    {
        _commands.Add("expertmix " + DemoVerbs.CommandLine(args));
        if (phase is null) return expectJson ? DemoVerbs.Run(args) : DemoVerbs.RunQuiet(args);
        var clock = Stopwatch.StartNew();
        using var p = progress.Begin(phase, steps);
        var result = DemoVerbs.Run(args, p.Report);
        _timings.Add(new DemoTiming(phase, clock.Elapsed.TotalSeconds));
        return result;
    }

    private T Timed<T>(string phase, Func<T> body)
    {
        var clock = Stopwatch.StartNew();
        var result = body();
        _timings.Add(new DemoTiming(phase, clock.Elapsed.TotalSeconds));
        return result;
    }

    private void AddCurve(string phase, string metrics)
    {
        if (File.Exists(metrics)) _curves.Add(DemoCurve.FromMetricsFile(phase, metrics));
    }

    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);
}

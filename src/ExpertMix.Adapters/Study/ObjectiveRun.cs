// One objective of the summation study: train (or reuse) every adapter per seed, then evaluate and measure.
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Training;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Study;

/// <summary>Trains and evaluates the adapters of one objective over every seed.</summary>
internal sealed class ObjectiveRun(SummationStudyOptions options, StudyObjective objective, LoraHost host, StudyData data, LoraConfig lora, StudyProgress progress)
{
    private readonly string _tag = objective.ToString().ToLowerInvariant();
    private readonly Dictionary<string, double> _base = new(StringComparer.Ordinal);

    public ObjectiveResult Execute(IReadOnlyList<IReadOnlyList<string>> combos)
    {
        var domains = options.Domains.Select(d => d.Name).ToList();
        foreach (var d in domains) _base[d] = Ppl([d]);
        foreach (var c in combos) _base[Key(c)] = Ppl(c);
        var rows = new List<SummationRow>();
        foreach (ulong seed in options.Seeds)
        {
            var singles = new Dictionary<string, LoraAdapter>(StringComparer.Ordinal);
            try
            {
                foreach (var d in domains) singles[d] = TrainOrLoad(seed, [d]);
                var singlePpl = domains.ToDictionary(d => d, d => WithAttached([(singles[d], 1f)], () => Ppl([d])), StringComparer.Ordinal);
                foreach (var c in combos) rows.Add(Evaluate(seed, c, singles, singlePpl));
            }
            finally
            {
                foreach (var a in singles.Values) a.Dispose();
            }
        }
        var pairs = rows.Where(r => r.Domains.Count == 2).ToList();
        var x = pairs.Select(r => r.RmsCosine).ToList();
        return new ObjectiveResult(objective, domains.ToDictionary(d => d, d => _base[d], StringComparer.Ordinal), rows,
            Correlation.Fit(x, pairs.Select(r => r.DeltaSumVsJointPercent).ToList()), Correlation.Fit(x, pairs.Select(r => r.FactorSumVsJointPercent).ToList()));
    }

    private SummationRow Evaluate(ulong seed, IReadOnlyList<string> combo, Dictionary<string, LoraAdapter> singles, Dictionary<string, double> singlePpl)
    {
        progress.Log?.Invoke($"{_tag} seed {seed}: evaluating {Key(combo)}");
        using var joint = TrainOrLoad(seed, combo);
        double jointPpl = WithAttached([(joint, 1f)], () => Ppl(combo));
        var members = combo.Select(d => (singles[d], 1f)).ToList();
        float[]? deltaLogits = null;
        double deltaPpl = WithAttached(members, () =>
        {
            deltaLogits = FirstBatchLogits(combo);
            return Ppl(combo);
        });
        var inputs = combo.Select(d => new MergeInput(singles[d], 1f)).ToList();
        double catDiff;
        using (var cat = LoraMerger.Merge(inputs, MergeMethod.Cat, new MergeOptions { Name = "cat" }))
        {
            var catLogits = WithAttached([(cat.Adapter!, 1f)], () => FirstBatchLogits(combo));
            catDiff = deltaLogits!.Zip(catLogits, (p, q) => (double)Math.Abs(p - q)).Max();
        }
        double factorPpl, factorError;
        using (var factor = LoraMerger.Merge(inputs, MergeMethod.FactorSum, new MergeOptions { Name = "factor-sum" }))
        {
            factorPpl = WithAttached([(factor.Adapter!, 1f)], () => Ppl(combo));
            factorError = factor.CompositionError.Aggregate;
        }
        var pairs = new List<PairOrthogonality>();
        for (int i = 0; i < combo.Count; i++)
        {
            for (int j = i + 1; j < combo.Count; j++) pairs.Add(Orthogonality.Compare(singles[combo[i]], singles[combo[j]]));
        }
        return new SummationRow(seed, combo, combo.ToDictionary(d => d, d => singlePpl[d], StringComparer.Ordinal), _base[Key(combo)], jointPpl, deltaPpl, factorPpl,
            100 * (deltaPpl - jointPpl) / jointPpl, 100 * (factorPpl - jointPpl) / jointPpl, pairs.Min(p => p.CommonModules),
            pairs.Average(p => p.RmsCosine), pairs.Average(p => p.GlobalCosine), pairs.Average(p => p.RawParameterCosine ?? double.NaN),
            pairs.Average(p => p.RmsToFloor), factorError, catDiff);
    }

    /// <summary>The PEFT adapter of (seed, domains): loaded when a previous run finished it, trained otherwise (resuming a checkpoint).</summary>
    private LoraAdapter TrainOrLoad(ulong seed, IReadOnlyList<string> domains)
    {
        string name = string.Join('+', domains);
        string dir = Path.Combine(options.OutputDirectory, "adapters", _tag, $"seed-{seed}", name);
        if (File.Exists(Path.Combine(dir, "adapter_model.safetensors")))
        {
            progress.Log?.Invoke($"{_tag} seed {seed}: reusing {dir}");
            var loaded = PeftFormat.Load(dir, name);
            if (loaded.Config.Rank != options.Rank) throw new InvalidOperationException($"{dir}: rank {loaded.Config.Rank} but the study asks for {options.Rank}");
            return loaded;
        }
        // Shared: every adapter of a seed draws the same A; independent: the stream also depends on the adapter's name.
        ulong initSeed = options.Init == InitSharing.Shared ? seed : seed ^ Fnv(name);
        var adapter = host.CreateAdapter(name, lora, new Rng(initSeed * 0x9E3779B97F4A7C15UL + 0x10AA));
        try
        {
            string runDir = Path.Combine(options.OutputDirectory, "runs", _tag, $"seed-{seed}", name);
            bool resume = Directory.Exists(Path.Combine(runDir, "checkpoints"));
            var trainer = new TrainerOptions
            {
                OutputDirectory = runDir,
                ArtifactDirectory = dir,
                MaxSteps = options.Steps,
                LearningRate = options.LearningRate,
                Schedule = LrScheduleKind.Linear,
                WarmupSteps = 2,
                WeightDecay = options.WeightDecay,
                MaxGradNorm = 1.0,
                Seed = seed,
                BestCheckpoint = BestCheckpointPolicy.None,
                Export = ArtifactExport.Final,
                SaveEvery = Math.Max(50, options.Steps / 4),
                KeepLastCheckpoints = 1,
                Resume = resume ? TrainerOptions.ResumeLatest : null,
            };
            var source = data.TrainSource(objective, domains, options.BatchSize * domains.Count, seed);
            progress.Log?.Invoke($"{_tag} seed {seed}: training {name} ({options.Steps} steps × batch {options.BatchSize * domains.Count}){(resume ? ", resuming" : "")}");
            var summary = Trainer.Run(new LoraTrainable(host, adapter), source, null, trainer, progress.Training?.Invoke($"{_tag} seed {seed}: {name}"));
            if (summary.Status == TrainingStatus.Diverged) throw new InvalidOperationException($"training {name} ({_tag}, seed {seed}) diverged: {summary.Message}");
            if (summary.Status != TrainingStatus.Completed) throw new InvalidOperationException($"training {name} ({_tag}, seed {seed}) ended {summary.Status}: {summary.Message}");
        }
        finally
        {
            host.Remove(name);
        }
        foreach (var (_, t) in adapter.NamedFactors()) t.RequiresGrad = false;
        return adapter;
    }

    private double Ppl(IReadOnlyList<string> domains)
    {
        var (batches, protocol) = data.TestSet(objective, domains);
        return SummationStudy.Perplexity(host.Model, batches(), protocol);
    }

    private float[] FirstBatchLogits(IReadOnlyList<string> domains)
    {
        using var batch = data.TestSet(objective, domains).Batches().First();
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        return host.Model.Forward(batch.InputIds, new ForwardContext { Mode = ForwardMode.Eval, AttentionMask = batch.AttentionMask }).ToArray(); // [B, T, V]
    }

    /// <summary>Attaches the adapters (the host never owns them here), runs <paramref name="body"/>, detaches.</summary>
    private T WithAttached<T>(IReadOnlyList<(LoraAdapter Adapter, float Weight)> adapters, Func<T> body)
    {
        foreach (var (a, w) in adapters) host.Add(a, w);
        try
        {
            return body();
        }
        finally
        {
            foreach (var (a, _) in adapters) host.Remove(a.Name);
        }
    }

    private static string Key(IReadOnlyList<string> domains) => string.Join('+', domains);

    private static ulong Fnv(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) h = (h ^ c) * 1099511628211UL;
        return h;
    }
}

// REINFORCE / sampled-group policy-gradient training of SVF experts (spec §7), with dev selection and exact resume.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Training;
using ExpertMix.Models.Generation;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Adapters.Svf.Training;

/// <summary>
/// Trains the p vectors of an SVF expert with policy gradients on a task's verifier reward.
/// Per iteration: draw min(B, |train|) prompts without replacement (seeded), generate G completions each with
/// W'(p) installed (greedy in faithful mode, temperature-sampled in default mode; the task's stop strings and token
/// limit), score them with the reward (±1), back-propagate <see cref="SvfPolicyLoss"/>, clip the global norm of the
/// p gradient, and take one Adam(W) step. Every <see cref="SvfPolicyOptions.EvalEvery"/> iterations (and after the
/// last) the dev set is decoded greedily: the checkpoint with the best dev accuracy (ties: lower dev loss) is kept in
/// <c>checkpoints/best</c>, and a <c>checkpoints/step-N</c> checkpoint (p, Adam state, random state, iteration) is
/// written atomically, so a resume continues bit for bit. The exported expert is the best-dev one (else the last).
/// </summary>
internal sealed class SvfPolicyTrainer
{
    private readonly Generator _generator;
    private readonly EvalTask _task;
    private readonly IReadOnlyList<EvalExample> _train;
    private readonly IReadOnlyList<EvalExample> _dev;
    private readonly SvfPolicyOptions _options;
    private readonly PromptFormat _format;
    private readonly ISvfReward _reward;
    private readonly Dictionary<EvalExample, IReadOnlyList<int>> _encoded = new(ReferenceEqualityComparer.Instance);

    /// <summary>Trains <paramref name="expert"/> (installed into <paramref name="host"/>) on <paramref name="train"/>, selecting on <paramref name="dev"/>.</summary>
    /// <exception cref="ArgumentException">No training examples, or invalid options.</exception>
    public SvfPolicyTrainer(Generator generator, SvfHost host, SvfExpert expert, EvalTask task, IReadOnlyList<EvalExample> train,
        IReadOnlyList<EvalExample> dev, SvfPolicyOptions options, PromptFormat format = PromptFormat.Raw, ISvfReward? reward = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException($"SVF policy training on {task.Name}: no training examples", nameof(train));
        _generator = generator;
        _task = task;
        _train = train;
        _dev = dev;
        _options = options;
        _format = format;
        _reward = reward ?? new VerifierReward(task.Verifier);
        Rng = new Rng(options.Seed);
        Trainable = new SvfTrainable(generator.Model, host, expert, options.Mode == SvfPolicyMode.Faithful ? "reinforce" : "grpo", Rng) { Seed = options.Seed };
    }

    /// <summary>The trained parameters and the checkpointed random stream.</summary>
    public SvfTrainable Trainable { get; }

    /// <summary>The stream that draws prompts and rollout seeds (saved in checkpoints).</summary>
    public Rng Rng { get; }

    /// <summary>Generation limit in effect.</summary>
    public int MaxNewTokens => _options.MaxNewTokens ?? _task.MaxNewTokens;

    /// <summary>Runs (or resumes) training; see the type summary.</summary>
    /// <exception cref="InvalidOperationException">A fresh start into a folder that already holds checkpoints.</exception>
    /// <exception cref="InvalidDataException">A resume checkpoint that is missing, malformed or made with other options (named).</exception>
    public SvfPolicySummary Run(ITrainingObserver? observer = null, CancellationToken ct = default)
    {
        var o = _options;
        observer ??= NullTrainingObserver.Instance;
        Directory.CreateDirectory(o.OutputDirectory);
        TrainerCheckpoints.Recover(o.OutputDirectory);
        var parameters = Trainable.TrainableParameters.Select(p => p.Param).ToList();
        using var optimizer = new AdamW([new ParameterGroup("svf", parameters, new AdamWOptions(o.LearningRate, 0.9, 0.999, 1e-8, o.WeightDecay))]);
        var schedule = Trainer.MakeSchedule(new TrainerOptions { OutputDirectory = o.OutputDirectory, MaxSteps = o.Iterations, LearningRate = o.LearningRate, Schedule = o.Schedule }, o.Iterations);
        var run = new RunState(o.Fingerprint());
        string best = Path.Combine(TrainerCheckpoints.Root(o.OutputDirectory), TrainerCheckpoints.BestFolder);
        if (o.Resume is null)
        {
            if (TrainerCheckpoints.List(o.OutputDirectory).Count > 0 || Directory.Exists(best))
            {
                throw new InvalidOperationException($"{TrainerCheckpoints.Root(o.OutputDirectory)} already holds checkpoints; resume with Resume = \"{TrainerOptions.ResumeLatest}\" or choose another output folder");
            }
        }
        else
        {
            Restore(ResolveResume(), optimizer, run, best);
        }
        using var metrics = new SvfPolicyMetricsWriter(Path.Combine(o.OutputDirectory, "metrics.jsonl"), o.Resume is null ? null : run.Iteration);
        observer.OnStart(run.Iteration, o.Iterations);
        var clock = Stopwatch.StartNew();
        int startIteration = run.Iteration;
        var status = TrainingStatus.Completed;
        string message = "";
        while (run.Iteration < o.Iterations)
        {
            if (ct.IsCancellationRequested)
            {
                (status, message) = (TrainingStatus.Cancelled, $"cancelled after iteration {run.Iteration} of {o.Iterations}");
                break;
            }
            var iterClock = Stopwatch.StartNew();
            var m = Iterate(optimizer, schedule, run);
            if (m is null)
            {
                optimizer.ZeroGrad();
                var failed = new SvfPolicySummary(TrainingStatus.Diverged, $"iteration {run.Iteration + 1}: the loss or gradient norm is not finite; nothing was applied. Last good checkpoint: {run.LastCheckpoint ?? "none"}",
                    run.Iteration, o.Iterations, run.LastLoss, run.BestAccuracy, run.BestLoss, run.BestIteration, run.LastCheckpoint, run.BestCheckpoint, null, run.ElapsedBefore + clock.Elapsed.TotalSeconds);
                EndWith(observer, failed);
                return failed;
            }
            double elapsed = run.ElapsedBefore + clock.Elapsed.TotalSeconds;
            m = m with { Seconds = iterClock.Elapsed.TotalSeconds, ElapsedSeconds = elapsed };
            metrics.Write(m);
            double perIteration = clock.Elapsed.TotalSeconds / (run.Iteration - startIteration);
            observer.OnStep(new StepMetrics(m.Iteration, o.Iterations, 0, m.Loss, m.LearningRate, m.GradNorm, m.Tokens, m.Seconds > 0 ? m.Tokens / m.Seconds : 0,
                elapsed, TimeSpan.FromSeconds(perIteration * (o.Iterations - run.Iteration))));
            (observer as ISvfPolicyObserver)?.OnIteration(m);
            bool evalNow = (o.EvalEvery > 0 && run.Iteration % o.EvalEvery == 0) || run.Iteration == o.Iterations;
            if (evalNow && _dev.Count > 0)
            {
                var dev = EvaluateDev(run);
                metrics.Write(dev);
                if (observer is ISvfPolicyObserver po) po.OnDevEval(dev);
                else observer.OnEval(new EvalResult(dev.Iteration, dev.Loss, Math.Exp(dev.Loss), dev.Count, dev.IsBest));
                if (dev.IsBest)
                {
                    run.ElapsedBefore += clock.Elapsed.TotalSeconds;
                    clock.Restart();
                    TrainerCheckpoints.Write(best, Trainable, optimizer, State(run));
                    run.BestCheckpoint = best;
                    observer.OnCheckpoint(run.Iteration, best, CheckpointKind.Best);
                }
            }
            if (evalNow && run.Iteration < o.Iterations)
            {
                run.ElapsedBefore += clock.Elapsed.TotalSeconds;
                clock.Restart();
                SaveStep(optimizer, run, observer);
            }
        }
        run.ElapsedBefore += clock.Elapsed.TotalSeconds;
        clock.Restart();
        if (status == TrainingStatus.Completed) message = $"trained {o.Iterations} iterations (last loss {run.LastLoss.ToString("G6", CultureInfo.InvariantCulture)})";
        if (run.LastSavedIteration != run.Iteration && run.Iteration > 0) SaveStep(optimizer, run, observer);
        string? exported = status == TrainingStatus.Cancelled ? null : Export(run);
        var summary = new SvfPolicySummary(status, message, run.Iteration, o.Iterations, run.LastLoss, run.BestAccuracy, run.BestLoss, run.BestIteration,
            run.LastCheckpoint, run.BestCheckpoint, exported, run.ElapsedBefore);
        EndWith(observer, summary);
        return summary;
    }

    /// <summary>
    /// Generates the rollouts of <paramref name="examples"/> with the current weights: each example <paramref name="group"/>
    /// times (consecutively), without a tape; row k samples with seed <paramref name="seed"/> + k.
    /// </summary>
    public IReadOnlyList<(EvalExample Example, SvfRollout Rollout, string Text)> Rollouts(IReadOnlyList<EvalExample> examples, int group, float temperature, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var rows = examples.SelectMany(e => Enumerable.Repeat(e, group)).ToList();
        var result = new List<(EvalExample, SvfRollout, string)>(rows.Count);
        using var noGrad = Autograd.NoGrad();
        for (int start = 0; start < rows.Count; start += _options.GenerationBatch)
        {
            var chunk = rows.Skip(start).Take(_options.GenerationBatch).ToList();
            var prompts = chunk.Select(Encode).ToList();
            int maxNew = Math.Max(1, Math.Min(MaxNewTokens, _generator.Model.Info.MaxPositions - prompts.Max(p => p.Count)));
            var gen = new GenerationOptions { MaxNewTokens = maxNew, Temperature = temperature, StopStrings = _task.StopStrings, Seed = unchecked(seed + (ulong)start) };
            var outs = _generator.Generate(prompts, gen);
            for (int i = 0; i < chunk.Count; i++)
            {
                float r = _reward.Reward(chunk[i], outs[i].Text);
                result.Add((chunk[i], new SvfRollout(prompts[i], outs[i].TokenIds, r), outs[i].Text));
            }
        }
        return result;
    }

    // One iteration: rollouts, rewards, backward, clip, update. Null when the loss or gradient is not finite.
    private SvfIterationMetrics? Iterate(AdamW optimizer, ILrSchedule schedule, RunState run)
    {
        var o = _options;
        int n = Math.Min(o.BatchSize, _train.Count);
        var picked = SampleWithoutReplacement(_train.Count, n).Select(i => _train[i]).ToList();
        ulong seed = Rng.NextUInt64();
        var rollouts = Rollouts(picked, o.GroupSize, o.Temperature, seed);
        optimizer.ZeroGrad();
        var step = SvfPolicyLoss.Accumulate(_generator.Model, Trainable.Host, [.. rollouts.Select(r => r.Rollout)], n, o, MaxNewTokens);
        float norm = 0;
        bool updated = step.TrainedSamples > 0;
        if (!double.IsFinite(step.Loss)) return null;
        optimizer.ApplySchedule(schedule, run.Iteration);
        double lr = optimizer.Groups[0].LearningRate;
        if (updated)
        {
            norm = GradClipping.ClipGlobalNorm(optimizer.Groups[0].Parameters, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
            if (!float.IsFinite(norm)) return null;
            optimizer.Step();
        }
        optimizer.ZeroGrad();
        run.Iteration++;
        run.LastLoss = step.Loss;
        var rewards = rollouts.Select(r => (double)r.Rollout.Reward).ToList();
        return new SvfIterationMetrics(run.Iteration, o.Iterations, step.Loss, rewards.Average(), rewards.Count(r => r > 0) / (double)rewards.Count, norm, lr,
            step.MeanKl, rollouts.Sum(r => (long)r.Rollout.CompletionIds.Count), step.SkippedGroups, updated, 0, 0);
    }

    // Greedy decoding of the dev set: accuracy and dev loss; updates the best record.
    private SvfDevResult EvaluateDev(RunState run)
    {
        var rollouts = Rollouts(_dev, 1, 0f, 0);
        double loss = 0;
        using (Autograd.NoGrad())
        {
            foreach (var (_, r, _) in rollouts)
            {
                if (r.CompletionIds.Count == 0) continue;
                loss += -r.Reward * SvfPolicyLoss.SequenceLogProb(_generator.Model, r.PromptIds, r.CompletionIds) / r.CompletionIds.Count;
            }
        }
        loss /= rollouts.Count;
        double accuracy = rollouts.Count(r => r.Rollout.Reward > 0) / (double)rollouts.Count;
        bool improved = run.BestAccuracy is null || accuracy > run.BestAccuracy || (accuracy == run.BestAccuracy && loss < run.BestLoss);
        if (improved) (run.BestAccuracy, run.BestLoss, run.BestIteration) = (accuracy, loss, run.Iteration);
        return new SvfDevResult(run.Iteration, accuracy, loss, rollouts.Count, improved);
    }

    // Partial Fisher–Yates with the checkpointed stream: k distinct indices of [0, n), in draw order.
    private List<int> SampleWithoutReplacement(int n, int k)
    {
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < k; i++)
        {
            int j = i + Rng.NextInt(n - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return [.. order.Take(k)];
    }

    // The prompt's ids, cut from the left so that min(max new, positions/4) tokens still fit.
    private IReadOnlyList<int> Encode(EvalExample e)
    {
        if (_encoded.TryGetValue(e, out var ids)) return ids;
        int positions = _generator.Model.Info.MaxPositions;
        int reserve = Math.Max(1, Math.Min(MaxNewTokens, positions / 4));
        ids = _generator.EncodePrompt(e.Prompt, _format);
        if (ids.Count > positions - reserve) ids = [.. ids.Skip(ids.Count - (positions - reserve))];
        _encoded[e] = ids;
        return ids;
    }

    private void SaveStep(AdamW optimizer, RunState run, ITrainingObserver observer)
    {
        string dir = TrainerCheckpoints.StepFolder(_options.OutputDirectory, run.Iteration);
        TrainerCheckpoints.Write(dir, Trainable, optimizer, State(run));
        TrainerCheckpoints.Prune(_options.OutputDirectory, _options.KeepLastCheckpoints);
        (run.LastCheckpoint, run.LastSavedIteration) = (dir, run.Iteration);
        observer.OnCheckpoint(run.Iteration, dir, CheckpointKind.Step);
    }

    private TrainerState State(RunState run) => new()
    {
        Step = run.Iteration,
        TotalSteps = _options.Iterations,
        MicroBatches = run.Iteration,
        Epoch = 0,
        BatchSourceState = new JsonObject { ["best_dev_accuracy"] = run.BestAccuracy }.ToJsonString(),
        RngState = Rng.GetState(),
        SchedulePosition = run.Iteration,
        BestValidationLoss = run.BestLoss,
        BestStep = run.BestIteration,
        ElapsedSeconds = run.ElapsedBefore,
        LastLoss = run.LastLoss,
        OptionsFingerprint = run.Fingerprint,
    };

    private string ResolveResume()
    {
        if (_options.Resume == TrainerOptions.ResumeLatest)
        {
            return TrainerCheckpoints.Latest(_options.OutputDirectory)
                ?? throw new InvalidDataException($"Resume = \"{TrainerOptions.ResumeLatest}\" but {TrainerCheckpoints.Root(_options.OutputDirectory)} holds no complete step checkpoint");
        }
        return Directory.Exists(_options.Resume) ? _options.Resume! : throw new InvalidDataException($"resume checkpoint folder {_options.Resume} does not exist");
    }

    private void Restore(string dir, AdamW optimizer, RunState run, string best)
    {
        var state = TrainerCheckpoints.ReadState(dir);
        if (state.OptionsFingerprint != run.Fingerprint)
        {
            throw new InvalidDataException($"{dir}: the checkpoint was made with other SVF policy options; resuming could not continue the same run (checkpoint:\n{state.OptionsFingerprint}now:\n{run.Fingerprint})");
        }
        if (state.RngState is null) throw new InvalidDataException($"{dir}: the checkpoint has no random state");
        TrainerCheckpoints.RestoreTensors(dir, Trainable, optimizer);
        Rng.SetState(state.RngState);
        run.Iteration = run.LastSavedIteration = state.Step;
        run.BestLoss = state.BestValidationLoss;
        run.BestIteration = state.BestStep;
        run.ElapsedBefore = state.ElapsedSeconds;
        run.LastLoss = state.LastLoss;
        run.LastCheckpoint = Path.GetFullPath(dir);
        var extra = JsonText.ParseObject(state.BatchSourceState, Path.Combine(dir, TrainerState.FileName));
        run.BestAccuracy = extra["best_dev_accuracy"] is JsonValue v && v.TryGetValue<double>(out double acc) ? acc : null;
        if (run.BestIteration is not null && Directory.Exists(best) && TrainerCheckpoints.ReadState(best).Step == run.BestIteration) run.BestCheckpoint = best;
        TrainerCheckpoints.DeleteAfter(_options.OutputDirectory, state.Step);
    }

    // The best-dev expert when there is one, else the current p; written to a temp folder and renamed into place.
    private string Export(RunState run)
    {
        string target = Path.GetFullPath(_options.ResolvedExpertDirectory);
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, ".tmp-" + Path.GetFileName(target) + "-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string bestArtifact = Path.Combine(run.BestCheckpoint ?? "", TrainerCheckpoints.ArtifactFolder);
            Directory.CreateDirectory(temp);
            if (run.BestCheckpoint is not null && Directory.Exists(bestArtifact))
            {
                foreach (var f in Directory.EnumerateFiles(bestArtifact)) File.Copy(f, Path.Combine(temp, Path.GetFileName(f)));
            }
            else
            {
                Trainable.SaveArtifact(temp);
            }
            TrainerCheckpoints.MoveIntoPlace(temp, target);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        return target;
    }

    private static void EndWith(ITrainingObserver observer, SvfPolicySummary s) =>
        observer.OnEnd(new TrainingSummary(s.Status, s.Message, s.Iterations, s.TotalIterations, s.LastLoss, s.BestDevLoss, s.BestIteration, s.LastCheckpoint, s.BestCheckpoint, s.ExpertDirectory, s.ElapsedSeconds));

    private sealed class RunState(string fingerprint)
    {
        public string Fingerprint { get; } = fingerprint;

        public int Iteration { get; set; }

        public int LastSavedIteration { get; set; } = -1;

        public double LastLoss { get; set; } = double.NaN;

        public double? BestAccuracy { get; set; }

        public double? BestLoss { get; set; }

        public int? BestIteration { get; set; }

        public double ElapsedBefore { get; set; }

        public string? LastCheckpoint { get; set; }

        public string? BestCheckpoint { get; set; }
    }
}

// The state and loop of one Trainer.Run call: steps with accumulation, evaluation, checkpoints, export.
using System.Diagnostics;
using System.Globalization;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Adapters.Training;

/// <summary>One training session (see <see cref="Trainer.Run"/> for the contract).</summary>
internal sealed class TrainerRun(ITrainable model, IBatchSource train, Func<IEnumerable<TrainingBatch>>? validation,
    TrainerOptions options, ITrainingObserver observer, AdamW optimizer, ILrSchedule schedule, int totalSteps)
{
    private readonly string _fingerprint = options.Fingerprint(totalSteps);
    private readonly Stopwatch _session = new();
    private int _step;
    private int _startStep;
    private long _microBatches;
    private double? _bestLoss;
    private int? _bestStep;
    private int _evalsWithoutImprovement;
    private double _elapsedBefore;
    private double _lastLoss = double.NaN;
    private int _lastSavedStep = -1;
    private string? _lastCheckpoint;
    private string? _bestCheckpoint;

    private double Elapsed => _elapsedBefore + _session.Elapsed.TotalSeconds;

    private string BestDirectory => Path.Combine(TrainerCheckpoints.Root(options.OutputDirectory), TrainerCheckpoints.BestFolder);

    /// <summary>Restores everything from the checkpoint in <paramref name="directory"/> (checks first, then applies).</summary>
    public void ResumeFrom(string directory)
    {
        var state = TrainerCheckpoints.ReadState(directory);
        if (state.OptionsFingerprint != _fingerprint)
        {
            throw new InvalidDataException($"{directory}: the checkpoint was made with other training options ({DescribeDifference(state.OptionsFingerprint, _fingerprint)}); resuming could not continue the same run");
        }
        if ((state.RngState is null) != (model.Rng is null))
        {
            throw new InvalidDataException($"{directory}: the checkpoint {(state.RngState is null ? "has no" : "has a")} random state but the model {(model.Rng is null ? "has no" : "has an")} Rng");
        }
        if (state.Step < 0 || state.Step > totalSteps) throw new InvalidDataException($"{directory}: step {state.Step} is outside [0, {totalSteps}]");
        TrainerCheckpoints.RestoreTensors(directory, model, optimizer);
        try
        {
            if (state.RngState is not null) model.Rng!.SetState(state.RngState);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{directory}: rng_state: {e.Message}", e);
        }
        train.RestoreState(state.BatchSourceState);
        (_step, _startStep, _microBatches) = (state.Step, state.Step, state.MicroBatches);
        (_bestLoss, _bestStep, _evalsWithoutImprovement) = (state.BestValidationLoss, state.BestStep, state.EvalsWithoutImprovement);
        (_elapsedBefore, _lastLoss, _lastSavedStep) = (state.ElapsedSeconds, state.LastLoss, state.Step);
        _lastCheckpoint = Path.GetFullPath(directory);
        // best/ belongs to this trajectory only if it holds the best step recorded here (a crashed run may have gone further).
        if (_bestStep is not null && Directory.Exists(BestDirectory) && TrainerCheckpoints.ReadState(BestDirectory).Step == _bestStep) _bestCheckpoint = BestDirectory;
        TrainerCheckpoints.DeleteAfter(options.OutputDirectory, state.Step);
    }

    /// <summary>The loop; returns the summary (also reported to the observer).</summary>
    public TrainingSummary Run(CancellationToken ct)
    {
        string metricsPath = Path.Combine(options.OutputDirectory, options.MetricsFileName);
        using var metrics = new TrainerMetricsWriter(metricsPath, _startStep > 0 || options.Resume is not null ? _startStep : null);
        observer.OnStart(_startStep, totalSteps);
        _session.Start();
        var status = TrainingStatus.Completed;
        string message = "";
        while (_step < totalSteps)
        {
            if (ct.IsCancellationRequested)
            {
                status = TrainingStatus.Cancelled;
                message = $"cancelled after step {_step} of {totalSteps}";
                break;
            }
            var stepStart = _session.Elapsed;
            var (loss, tokens, failure) = ForwardBackward();
            float norm = failure is null ? GradClipping.ClipGlobalNorm(optimizer.Groups[0].Parameters, options.MaxGradNorm > 0 ? options.MaxGradNorm : double.PositiveInfinity) : float.NaN;
            if (failure is null && !float.IsFinite(norm)) failure = $"the gradient norm is {norm.ToString(CultureInfo.InvariantCulture)} (loss {loss.ToString("G6", CultureInfo.InvariantCulture)})";
            if (failure is null && !double.IsFinite(loss)) failure = $"the loss is {loss.ToString(CultureInfo.InvariantCulture)}";
            if (failure is not null)
            {
                optimizer.ZeroGrad();
                _session.Stop();
                return End(observer, TrainingStatus.Diverged, DivergenceMessage(failure), exported: null);
            }
            optimizer.ApplySchedule(schedule, _step);
            double lr = optimizer.Groups[0].LearningRate;
            optimizer.Step();
            optimizer.ZeroGrad();
            _step++;
            _lastLoss = loss;
            double stepSeconds = (_session.Elapsed - stepStart).TotalSeconds;
            double perStep = _session.Elapsed.TotalSeconds / (_step - _startStep);
            var m = new StepMetrics(_step, totalSteps, (double)_microBatches / train.BatchesPerEpoch, loss, lr, norm, tokens,
                stepSeconds > 0 ? tokens / stepSeconds : 0, Elapsed, TimeSpan.FromSeconds(perStep * (totalSteps - _step)));
            metrics.WriteStep(m);
            observer.OnStep(m);

            bool stop = false;
            if (validation is not null && ((options.EvalEvery > 0 && _step % options.EvalEvery == 0) || _step == totalSteps))
            {
                stop = EvaluateAndTrack(metrics);
                if (stop)
                {
                    status = TrainingStatus.EarlyStopped;
                    message = $"validation loss did not improve for {_evalsWithoutImprovement} evaluations (best {_bestLoss?.ToString("G6", CultureInfo.InvariantCulture)} at step {_bestStep}); stopped at step {_step} of {totalSteps}";
                }
            }
            if (stop) break;
            if (options.SaveEvery > 0 && _step % options.SaveEvery == 0 && _step < totalSteps) SaveStep();
        }
        _session.Stop();
        if (status == TrainingStatus.Completed)
        {
            message = $"trained {totalSteps} steps (final loss {_lastLoss.ToString("G6", CultureInfo.InvariantCulture)})";
        }
        if (_lastSavedStep != _step && _step > 0) SaveStep();
        string? exported = status == TrainingStatus.Cancelled ? null : ExportArtifact();
        return End(observer, status, message, exported);
    }

    /// <summary>Draws the step's micro-batches and back-propagates each weighted by its share of the loss tokens.</summary>
    private (double Loss, long Tokens, string? Failure) ForwardBackward()
    {
        int k = options.GradientAccumulationSteps;
        var batches = new TrainingBatch[k];
        try
        {
            for (int i = 0; i < k; i++)
            {
                batches[i] = train.Next();
                _microBatches++;
            }
            var counts = batches.Select(b => b.LossTokens).ToArray();
            long total = counts.Sum(c => (long)c);
            if (total == 0) throw new InvalidDataException($"step {_step + 1}: none of its {k} micro-batch(es) has a loss token (all labels are {TrainingBatch.IgnoreIndex})");
            double loss = 0;
            for (int i = 0; i < k; i++)
            {
                if (counts[i] == 0) continue;
                using var scope = TensorScope.Begin();
                double weight = (double)counts[i] / total;
                var micro = model.Loss(batches[i], ForwardMode.Train);    // [] mean over the micro-batch's loss tokens
                if (micro.Numel != 1 || !micro.RequiresGrad)
                {
                    throw new InvalidOperationException($"ITrainable.Loss in Train mode must return a one-element tensor on the autograd tape; got {micro.Describe()} (requires grad: {micro.RequiresGrad})");
                }
                float value = micro.Item();
                if (!float.IsFinite(value))
                {
                    micro.Dispose();
                    string where = k > 1 ? $" (micro-batch {i + 1} of {k})" : "";
                    return (double.NaN, total, $"the loss is {value.ToString(CultureInfo.InvariantCulture)}{where}");
                }
                loss += value * weight;
                var weighted = Ops.Mul(micro, (float)weight);              // [] lossᵢ·nᵢ/N
                weighted.Backward();
                weighted.Dispose();
                micro.Dispose();
            }
            return (loss, total, null);
        }
        finally
        {
            foreach (var b in batches) b?.Dispose();
        }
    }

    /// <summary>Evaluates, writes the metrics line, updates best/patience (saving best/), and says whether to stop early.</summary>
    private bool EvaluateAndTrack(TrainerMetricsWriter metrics)
    {
        var (loss, tokens) = Evaluate();
        bool improved = double.IsFinite(loss) && (_bestLoss is null || loss < _bestLoss.Value - options.EarlyStoppingMinDelta);
        if (improved)
        {
            (_bestLoss, _bestStep, _evalsWithoutImprovement) = (loss, _step, 0);
        }
        else
        {
            _evalsWithoutImprovement++;
        }
        var result = new EvalResult(_step, loss, Math.Exp(loss), tokens, improved);
        metrics.WriteEval(result);
        observer.OnEval(result);
        if (improved && options.BestCheckpoint == BestCheckpointPolicy.ValidationLoss)
        {
            TrainerCheckpoints.Write(BestDirectory, model, optimizer, CurrentState());
            _bestCheckpoint = BestDirectory;
            observer.OnCheckpoint(_step, BestDirectory, CheckpointKind.Best);
        }
        return options.EarlyStoppingPatience > 0 && _evalsWithoutImprovement >= options.EarlyStoppingPatience;
    }

    /// <summary>Σ lossᵦ·nᵦ / Σ nᵦ over the validation batches, in eval mode without a tape.</summary>
    private (double Loss, long Tokens) Evaluate()
    {
        var result = LossEvaluation.Run(validation!(), batch => model.Loss(batch, ForwardMode.Eval));
        return (result.TokenWeighted, result.Tokens);
    }

    private TrainerState CurrentState() => new()
    {
        Step = _step,
        TotalSteps = totalSteps,
        MicroBatches = _microBatches,
        Epoch = (double)_microBatches / train.BatchesPerEpoch,
        BatchSourceState = train.SaveState(),
        RngState = model.Rng?.GetState(),
        SchedulePosition = _step,
        BestValidationLoss = _bestLoss,
        BestStep = _bestStep,
        EvalsWithoutImprovement = _evalsWithoutImprovement,
        ElapsedSeconds = Elapsed,
        LastLoss = _lastLoss,
        OptionsFingerprint = _fingerprint,
    };

    private void SaveStep()
    {
        string dir = TrainerCheckpoints.StepFolder(options.OutputDirectory, _step);
        TrainerCheckpoints.Write(dir, model, optimizer, CurrentState());
        TrainerCheckpoints.Prune(options.OutputDirectory, options.KeepLastCheckpoints);
        (_lastCheckpoint, _lastSavedStep) = (dir, _step);
        observer.OnCheckpoint(_step, dir, CheckpointKind.Step);
    }

    /// <summary>Writes the best (if chosen and present) or the final artefact to the artefact folder (temp folder, then rename).</summary>
    private string ExportArtifact()
    {
        string target = Path.GetFullPath(options.ResolvedArtifactDirectory);
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, ".tmp-" + Path.GetFileName(target) + "-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string bestArtifact = Path.Combine(BestDirectory, TrainerCheckpoints.ArtifactFolder);
            if (options.Export == ArtifactExport.Best && _bestCheckpoint is not null && Directory.Exists(bestArtifact))
            {
                CopyFolder(bestArtifact, temp);
            }
            else
            {
                Directory.CreateDirectory(temp);
                model.SaveArtifact(temp);
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

    private static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (var dir in Directory.EnumerateDirectories(source)) CopyFolder(dir, Path.Combine(target, Path.GetFileName(dir)));
    }

    private string DivergenceMessage(string failure) =>
        $"step {_step + 1}: {failure}; the step was not applied and nothing was saved from it. "
        + $"Last good checkpoint: {_lastCheckpoint ?? "none"}. Hint: lower the learning rate (now {options.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}), "
        + "add warm-up steps or set a max grad norm.";

    private TrainingSummary End(ITrainingObserver obs, TrainingStatus status, string message, string? exported)
    {
        var summary = new TrainingSummary(status, message, _step, totalSteps, _lastLoss, _bestLoss, _bestStep, _lastCheckpoint, _bestCheckpoint, exported, Elapsed);
        obs.OnEnd(summary);
        return summary;
    }

    private static string DescribeDifference(string saved, string now)
    {
        static Dictionary<string, string> Parse(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
        var a = Parse(saved);
        var b = Parse(now);
        var diffs = a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k))
            .Select(k => $"{k}: checkpoint {a.GetValueOrDefault(k) ?? "absent"}, now {b.GetValueOrDefault(k) ?? "absent"}");
        return string.Join("; ", diffs);
    }
}

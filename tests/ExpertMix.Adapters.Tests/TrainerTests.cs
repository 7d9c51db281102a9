// The shared trainer's loop: learning, accumulation equivalence, clipping, schedules, metrics, evaluation, early stopping.
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Training;
using ExpertMix.Nn;

namespace ExpertMix.Adapters.Tests;

public class TrainerTests
{
    internal static TrainerOptions Options(string dir, int steps) => new()
    {
        OutputDirectory = dir,
        MaxSteps = steps,
        LearningRate = 0.05,
        Schedule = LrScheduleKind.Constant,
        MaxGradNorm = 0,
        BestCheckpoint = BestCheckpointPolicy.None,
    };

    internal static List<JsonObject> Metrics(string dir, string file = "metrics.jsonl") =>
        File.ReadAllLines(Path.Combine(dir, file)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public void Training_lowers_the_loss_and_exports_the_artifact()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        var source = new ListBatchSource(ListBatchSource.Sequences(16), batchSize: 4);
        var obs = new RecordingObserver();
        var summary = Trainer.Run(model, source, null, Options(dir.Path, 40), obs);

        Assert.Equal(TrainingStatus.Completed, summary.Status);
        Assert.Equal(40, summary.StepsCompleted);
        Assert.Equal(40, obs.Steps.Count);
        Assert.True(obs.Steps[^1].Loss < 0.5 * obs.Steps[0].Loss, $"loss {obs.Steps[0].Loss} → {obs.Steps[^1].Loss}");
        Assert.True(File.Exists(Path.Combine(summary.ArtifactDirectory!, "weights.safetensors")));
        Assert.Equal(TrainerCheckpoints.StepFolder(dir.Path, 40), summary.LastCheckpoint);
        Assert.Equal(40.0 * 1 / source.BatchesPerEpoch, obs.Steps[^1].Epoch, 12);
        Assert.All(obs.Steps, s => Assert.True(s.Tokens > 0 && s.TokensPerSecond > 0 && s.GradNorm > 0));
    }

    [Fact]
    public void Accumulating_k_micro_batches_equals_one_batch_of_their_union()
    {
        var seqs = ListBatchSource.Sequences(8);
        using var dirA = new TempDir();
        using var dirB = new TempDir();
        using var micro = new TinyLm();
        using var whole = new TinyLm();
        var obsA = new RecordingObserver();
        var obsB = new RecordingObserver();
        // Unshuffled: micro-batches [s0 s1], [s2 s3] form the step that the single batch [s0 s1 s2 s3] forms.
        Trainer.Run(micro, new ListBatchSource(seqs, 2, shuffleSeed: null), null,
            Options(dirA.Path, 2) with { GradientAccumulationSteps = 2, WeightDecay = 0.1 }, obsA);
        Trainer.Run(whole, new ListBatchSource(seqs, 4, shuffleSeed: null), null,
            Options(dirB.Path, 2) with { WeightDecay = 0.1 }, obsB);

        for (int s = 0; s < 2; s++)
        {
            Assert.Equal(obsB.Steps[s].Loss, obsA.Steps[s].Loss, 1e-6);
            Assert.Equal(obsB.Steps[s].GradNorm, obsA.Steps[s].GradNorm, 1e-5);
            Assert.Equal(obsB.Steps[s].Tokens, obsA.Steps[s].Tokens);
        }
        var a = micro.Snapshot();
        var b = whole.Snapshot();
        for (int p = 0; p < a.Length; p++)
        {
            for (int i = 0; i < a[p].Length; i++) Assert.Equal(b[p][i], a[p][i], 1e-6);
        }
    }

    [Fact]
    public void Step_loss_weights_micro_batches_by_their_loss_tokens()
    {
        var seqs = ListBatchSource.Sequences(4);
        using var dir = new TempDir();
        using var model = new TinyLm();
        using var reference = new TinyLm();
        var obs = new RecordingObserver();
        Trainer.Run(model, new ListBatchSource(seqs, 1, shuffleSeed: null), null, Options(dir.Path, 1) with { GradientAccumulationSteps = 4 }, obs);

        double sum = 0;
        long tokens = 0;
        foreach (var s in seqs)
        {
            using var batch = ListBatchSource.Build([s], seqs.Max(x => x.Length));
            using var loss = reference.Loss(batch, ForwardMode.Eval);
            sum += (double)loss.Item() * batch.LossTokens;
            tokens += batch.LossTokens;
        }
        Assert.Equal(tokens, obs.Steps[0].Tokens);
        Assert.Equal(sum / tokens, obs.Steps[0].Loss, 1e-6);
    }

    [Fact]
    public void Clipping_scales_the_gradient_before_the_update()
    {
        var seqs = ListBatchSource.Sequences(8);
        using var d1 = new TempDir();
        using var d2 = new TempDir();
        using var free = new TinyLm();
        using var clipped = new TinyLm();
        var before = free.Snapshot();
        var obsFree = new RecordingObserver();
        var obsClip = new RecordingObserver();
        Trainer.Run(free, new ListBatchSource(seqs, 4), null, Options(d1.Path, 1), obsFree);
        Trainer.Run(clipped, new ListBatchSource(seqs, 4), null, Options(d2.Path, 1) with { MaxGradNorm = 1e-12 }, obsClip);

        // The logged norm is the one before clipping; with g ≪ ε Adam's first step is lr·g/ε instead of ≈ lr·sign(g).
        Assert.Equal(obsFree.Steps[0].GradNorm, obsClip.Steps[0].GradNorm, 1e-6);
        Assert.True(obsClip.Steps[0].GradNorm > 1e-3);
        double MaxChange(TinyLm m) => m.Snapshot().Zip(before).Max(p => p.First.Zip(p.Second).Max(x => Math.Abs(x.First - x.Second)));
        double changeFree = MaxChange(free), changeClipped = MaxChange(clipped);
        Assert.True(changeFree > 0.01, $"unclipped change {changeFree}");
        Assert.True(changeClipped < 0.01 * changeFree, $"clipped change {changeClipped} vs {changeFree}");
    }

    [Fact]
    public void Metrics_log_the_scheduled_learning_rate_per_step()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        var options = Options(dir.Path, 6) with { Schedule = LrScheduleKind.Linear, WarmupSteps = 2, LearningRate = 0.01 };
        Trainer.Run(model, new ListBatchSource(ListBatchSource.Sequences(8), 4), null, options);

        // transformers get_linear_schedule_with_warmup, W = 2, T = 6: positions 0..5 → 0, ½, 1, ¾, ½, ¼.
        double[] expected = [0, 0.005, 0.01, 0.0075, 0.005, 0.0025];
        var lines = Metrics(dir.Path);
        Assert.Equal(6, lines.Count);
        for (int i = 0; i < 6; i++)
        {
            var line = lines[i];
            Assert.Equal(i + 1, line["step"]!.GetValue<int>());
            Assert.Equal(expected[i], line["lr"]!.GetValue<double>(), 1e-12);
            foreach (var key in new[] { "epoch", "loss", "grad_norm", "tokens", "tokens_per_s", "elapsed_s" }) Assert.NotNull(line[key]);
        }
    }

    [Fact]
    public void Cosine_schedule_reaches_its_floor_at_the_last_step()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        var options = Options(dir.Path, 5) with { Schedule = LrScheduleKind.Cosine, WarmupSteps = 1, LearningRate = 0.02, MinLrRatio = 0.1 };
        var obs = new RecordingObserver();
        Trainer.Run(model, new ListBatchSource(ListBatchSource.Sequences(8), 4), null, options, obs);
        // position p ≥ 1: f = 0.5·(1 + cos(π·(p − 1)/4)), lr = 0.02·(0.1 + 0.9·f)
        for (int p = 1; p < 5; p++)
        {
            double f = 0.5 * (1 + Math.Cos(Math.PI * (p - 1) / 4));
            Assert.Equal(0.02 * (0.1 + 0.9 * f), obs.Steps[p].LearningRate, 1e-12);
        }
        Assert.Equal(0, obs.Steps[0].LearningRate);
    }

    [Fact]
    public void Validation_is_the_token_weighted_mean_loss_and_perplexity_is_its_exp()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        var val = ListBatchSource.Sequences(6, seed: 99);
        int length = val.Max(s => s.Length);
        IEnumerable<TrainingBatch> Validation() => [ListBatchSource.Build(val[..1], length), ListBatchSource.Build(val[1..], length)];
        var obs = new RecordingObserver();
        var summary = Trainer.Run(model, new ListBatchSource(ListBatchSource.Sequences(8), 4), Validation, Options(dir.Path, 3), obs);

        Assert.Single(obs.Evals);  // EvalEvery = 0: only after the last step
        double sum = 0;
        long tokens = 0;
        foreach (var b in Validation())
        {
            using (b)
            {
                using var loss = model.Loss(b, ForwardMode.Eval);
                sum += (double)loss.Item() * b.LossTokens;
                tokens += b.LossTokens;
            }
        }
        Assert.Equal(sum / tokens, obs.Evals[0].Loss, 1e-9);
        Assert.Equal(Math.Exp(obs.Evals[0].Loss), obs.Evals[0].Perplexity, 1e-9);
        Assert.Equal(tokens, obs.Evals[0].Tokens);
        var evalLine = Metrics(dir.Path).Single(l => l.ContainsKey("val_loss"));
        Assert.Equal(3, evalLine["step"]!.GetValue<int>());
        Assert.Equal(obs.Evals[0].Perplexity, evalLine["val_ppl"]!.GetValue<double>(), 1e-9);
        Assert.Equal(sum / tokens, summary.BestValidationLoss!.Value, 1e-9);
    }

    [Fact]
    public void Early_stopping_keeps_the_best_checkpoint_and_exports_its_artifact()
    {
        using var dir = new TempDir();
        // Evaluations after steps 2, 4, 6, 8, …: best at step 4, then two without improvement → stop after step 8.
        using var model = new TinyLm { ScriptedEvalLosses = [3f, 2f, 2.5f, 2.1f, 1f, 1f] };
        var options = Options(dir.Path, 20) with { EvalEvery = 2, EarlyStoppingPatience = 2, BestCheckpoint = BestCheckpointPolicy.ValidationLoss };
        var obs = new RecordingObserver { SnapshotModel = model };
        IEnumerable<TrainingBatch> Validation() => [ListBatchSource.Build([[1, 4, 2, 7]], 4)];
        var summary = Trainer.Run(model, new ListBatchSource(ListBatchSource.Sequences(8), 4), Validation, options, obs);

        Assert.Equal(TrainingStatus.EarlyStopped, summary.Status);
        Assert.Equal(8, summary.StepsCompleted);
        Assert.Equal(4, summary.BestStep);
        Assert.Equal(2.0, summary.BestValidationLoss);
        Assert.Equal([true, true, false, false], obs.Evals.Select(e => e.IsBest));
        Assert.Contains("did not improve for 2 evaluations", summary.Message);
        Assert.Equal(4, TrainerCheckpoints.ReadState(summary.BestCheckpoint!).Step);
        Assert.Equal([2, 4], obs.Checkpoints.Where(c => c.Kind == CheckpointKind.Best).Select(c => c.Step));
        Assert.Equal(TrainerCheckpoints.StepFolder(dir.Path, 8), summary.LastCheckpoint);

        // The exported artifact holds the step-4 weights, not the final ones.
        using var file = Tensors.IO.SafetensorsFile.Open(Path.Combine(summary.ArtifactDirectory!, "weights.safetensors"));
        using var head = file.GetTensor("head.weight");
        Assert.Equal(obs.Snapshots[4][1], head.ToArray());
        Assert.NotEqual(obs.Snapshots[8][1], head.ToArray());
    }

    [Fact]
    public void Only_the_last_k_step_checkpoints_are_kept()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        Trainer.Run(model, new ListBatchSource(ListBatchSource.Sequences(8), 4), null, Options(dir.Path, 5) with { SaveEvery = 1, KeepLastCheckpoints = 2 });
        Assert.Equal([4, 5], TrainerCheckpoints.List(dir.Path).Select(c => c.Step));
    }

    [Fact]
    public void Epochs_set_the_run_length_with_accumulation()
    {
        var options = new TrainerOptions { OutputDirectory = "x", Epochs = 2.5, GradientAccumulationSteps = 2 };
        Assert.Equal(13, options.TotalSteps(10));                          // ⌈2.5·10 / 2⌉
        Assert.Equal(7, (options with { MaxSteps = 7 }).TotalSteps(10));   // the smaller of the two
    }

    [Theory]
    [InlineData("GradientAccumulationSteps")]
    [InlineData("LearningRate")]
    [InlineData("MaxSteps")]
    [InlineData("Beta2")]
    [InlineData("KeepLastCheckpoints")]
    public void Invalid_options_are_refused_naming_the_option(string option)
    {
        var ok = new TrainerOptions { OutputDirectory = "out", MaxSteps = 3 };
        var bad = option switch
        {
            "GradientAccumulationSteps" => ok with { GradientAccumulationSteps = 0 },
            "LearningRate" => ok with { LearningRate = double.NaN },
            "MaxSteps" => ok with { MaxSteps = 0 },
            "Beta2" => ok with { Beta2 = 1.0 },
            _ => ok with { KeepLastCheckpoints = 0 },
        };
        ok.Validate();
        var e = Assert.Throws<ArgumentException>(bad.Validate);
        Assert.Contains(option, e.Message);
    }

    [Fact]
    public void Text_observer_prints_steps_evals_and_the_end()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        var text = new StringWriter();
        IEnumerable<TrainingBatch> Validation() => [ListBatchSource.Build([[1, 4, 2, 7]], 4)];
        Trainer.Run(model, new ListBatchSource(ListBatchSource.Sequences(8), 4), Validation, Options(dir.Path, 2), new TextTrainingObserver(text));
        string output = text.ToString();
        Assert.Contains("step 2/2", output);
        Assert.Contains("val_ppl", output);
        Assert.Contains("Completed", output);
    }
}

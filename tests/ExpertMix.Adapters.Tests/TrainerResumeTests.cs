// Trainer checkpoints: exact resume, crash safety of checkpoint writes, NaN/Inf stops, refusal of mismatched checkpoints.
using ExpertMix.Adapters.Training;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests;

public class TrainerResumeTests
{
    private static readonly int[][] Data = ListBatchSource.Sequences(12);
    private static readonly int[][] ValData = ListBatchSource.Sequences(4, seed: 77);

    private static IEnumerable<TrainingBatch> Validation() => [ListBatchSource.Build(ValData, ValData.Max(s => s.Length))];

    private static TrainerOptions FullOptions(string dir, int accumulation) => new()
    {
        OutputDirectory = dir,
        MaxSteps = 10,
        LearningRate = 0.03,
        Schedule = LrScheduleKind.Linear,
        WarmupSteps = 2,
        WeightDecay = 0.01,
        MaxGradNorm = 1.0,
        GradientAccumulationSteps = accumulation,
        EvalEvery = 2,
        SaveEvery = 5,
        BestCheckpoint = BestCheckpointPolicy.ValidationLoss,
        EarlyStoppingPatience = 50,
        Seed = 2024,
    };

    public enum Interruption
    {
        Cancel,
        Crash,
    }

    [Theory]
    [InlineData(1, 0f, Interruption.Cancel)]
    [InlineData(2, 0.3f, Interruption.Cancel)]
    [InlineData(2, 0.3f, Interruption.Crash)]
    public void Resuming_reproduces_the_uninterrupted_run_bit_for_bit(int accumulation, float dropout, Interruption how)
    {
        using var straightDir = new TempDir();
        using var splitDir = new TempDir();
        using var straight = new TinyLm(dropout: dropout);
        var straightObs = new RecordingObserver();
        var straightSummary = Trainer.Run(straight, new ListBatchSource(Data, 2), Validation, FullOptions(straightDir.Path, accumulation), straightObs);
        Assert.Equal(TrainingStatus.Completed, straightSummary.Status);

        // First half: stop after step 5 (cancel → checkpoint at 5; crash at 7 → the step-5 checkpoint is the latest).
        using (var first = new TinyLm(dropout: dropout))
        {
            using var cts = new CancellationTokenSource();
            var obs = new RecordingObserver { CancelAt = cts, CancelAtStep = how == Interruption.Cancel ? 5 : 0, ThrowAtStep = how == Interruption.Crash ? 7 : 0 };
            if (how == Interruption.Cancel)
            {
                var s = Trainer.Run(first, new ListBatchSource(Data, 2), Validation, FullOptions(splitDir.Path, accumulation), obs, cts.Token);
                Assert.Equal(TrainingStatus.Cancelled, s.Status);
                Assert.Equal(5, s.StepsCompleted);
            }
            else
            {
                Assert.Throws<InvalidOperationException>(() => Trainer.Run(first, new ListBatchSource(Data, 2), Validation, FullOptions(splitDir.Path, accumulation), obs, cts.Token));
            }
        }

        // Second half: a fresh model with other initial weights and a fresh data source, restored from the checkpoint.
        using var resumed = new TinyLm(initSeed: 999, dropout: dropout);
        var resumedObs = new RecordingObserver();
        var summary = Trainer.Run(resumed, new ListBatchSource(Data, 2), Validation,
            FullOptions(splitDir.Path, accumulation) with { Resume = TrainerOptions.ResumeLatest }, resumedObs);

        Assert.Equal(TrainingStatus.Completed, summary.Status);
        Assert.Equal(5, resumedObs.StartStep);
        Assert.Equal(straightObs.Steps.Skip(5).Select(s => s.Loss), resumedObs.Steps.Select(s => s.Loss));
        Assert.Equal(straightObs.Steps.Skip(5).Select(s => s.GradNorm), resumedObs.Steps.Select(s => s.GradNorm));
        Assert.Equal(straightObs.Steps.Skip(5).Select(s => s.LearningRate), resumedObs.Steps.Select(s => s.LearningRate));
        Assert.Equal(straightObs.Evals.Skip(2).Select(e => e.Loss), resumedObs.Evals.Select(e => e.Loss));
        var a = straight.Snapshot();
        var b = resumed.Snapshot();
        for (int p = 0; p < a.Length; p++) Assert.Equal(a[p], b[p]);
        Assert.Equal(straightSummary.BestStep, summary.BestStep);
        Assert.Equal(straightSummary.BestValidationLoss, summary.BestValidationLoss);

        // The metrics file reads like one run: steps 1..10 once each, same losses.
        var steps = TrainerTests.Metrics(splitDir.Path).Where(l => l.ContainsKey("loss")).ToList();
        Assert.Equal(Enumerable.Range(1, 10), steps.Select(l => l["step"]!.GetValue<int>()));
        Assert.Equal(straightObs.Steps.Select(s => s.Loss), steps.Select(l => l["loss"]!.GetValue<double>()));
    }

    [Fact]
    public void A_crash_while_writing_a_checkpoint_leaves_the_previous_one_loadable()
    {
        using var dir = new TempDir();
        var options = TrainerTests.Options(dir.Path, 6) with { SaveEvery = 2 };
        using (var model = new TinyLm { FailArtifactAtCall = 2 })
        {
            Assert.Throws<IOException>(() => Trainer.Run(model, new ListBatchSource(Data, 2), null, options));
        }
        string root = TrainerCheckpoints.Root(dir.Path);
        Assert.Equal([2], TrainerCheckpoints.List(dir.Path).Select(c => c.Step));
        Assert.Empty(Directory.GetDirectories(root, ".tmp-*"));

        // A harder crash (process killed) leaves a half-written temp folder: it is ignored and cleaned up.
        string torn = Path.Combine(root, ".tmp-step-00000004-deadbeef");
        Directory.CreateDirectory(torn);
        File.WriteAllBytes(Path.Combine(torn, TrainerCheckpoints.ParametersFile), [1, 2, 3]);
        Assert.Equal(TrainerCheckpoints.StepFolder(dir.Path, 2), TrainerCheckpoints.Latest(dir.Path));
        using var again = new TinyLm();
        var obs = new RecordingObserver();
        var summary = Trainer.Run(again, new ListBatchSource(Data, 2), null, options with { Resume = TrainerOptions.ResumeLatest }, obs);
        Assert.Equal(TrainingStatus.Completed, summary.Status);
        Assert.Equal(2, obs.StartStep);
        Assert.False(Directory.Exists(torn));
    }

    [Fact]
    public void A_folder_moved_aside_for_replacement_is_restored_after_a_crash()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        Trainer.Run(model, new ListBatchSource(Data, 2), null, TrainerTests.Options(dir.Path, 2));
        string step2 = TrainerCheckpoints.StepFolder(dir.Path, 2);
        Directory.Move(step2, step2 + ".old-0badc0de");    // crashed between "move old aside" and "move new in"
        Assert.Null(TrainerCheckpoints.Latest(dir.Path));
        TrainerCheckpoints.Recover(dir.Path);
        Assert.Equal(step2, TrainerCheckpoints.Latest(dir.Path));
        Assert.Equal(2, TrainerCheckpoints.ReadState(step2).Step);
    }

    [Fact]
    public void A_nan_loss_stops_before_the_update_and_keeps_the_last_good_checkpoint()
    {
        using var dir = new TempDir();
        // Accumulation 2: Loss calls 1-2 = step 1, …, 7-8 = step 4; call 7 returns NaN.
        using var model = new TinyLm { PoisonLossAtCall = 7 };
        var obs = new RecordingObserver { SnapshotModel = model };
        var options = TrainerTests.Options(dir.Path, 10) with { GradientAccumulationSteps = 2, SaveEvery = 2 };
        var summary = Trainer.Run(model, new ListBatchSource(Data, 2), null, options, obs);

        Assert.Equal(TrainingStatus.Diverged, summary.Status);
        Assert.Equal(3, summary.StepsCompleted);
        Assert.Contains("step 4", summary.Message);
        Assert.Contains("NaN", summary.Message);
        Assert.Contains("micro-batch 1 of 2", summary.Message);
        Assert.Contains("lower the learning rate", summary.Message);
        Assert.Equal(TrainerCheckpoints.StepFolder(dir.Path, 2), summary.LastCheckpoint);
        Assert.Equal([2], TrainerCheckpoints.List(dir.Path).Select(c => c.Step));
        Assert.Null(summary.ArtifactDirectory);
        Assert.False(Directory.Exists(options.ResolvedArtifactDirectory));
        Assert.Equal(3, TrainerTests.Metrics(dir.Path).Count);
        var after = model.Snapshot();
        for (int p = 0; p < after.Length; p++) Assert.Equal(obs.Snapshots[3][p], after[p]);      // step 4 changed nothing
        Assert.All(model.TrainableParameters, p => Assert.Null(p.Param.Grad));

        // The kept checkpoint is intact: a run resumed from it finishes.
        using var healthy = new TinyLm();
        var resumed = Trainer.Run(healthy, new ListBatchSource(Data, 2), null, options with { Resume = summary.LastCheckpoint });
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.Equal(10, resumed.StepsCompleted);
    }

    [Fact]
    public void A_non_finite_gradient_norm_stops_the_run()
    {
        using var dir = new TempDir();
        using var model = new TinyLm { PoisonGradAtCall = 3 };
        var obs = new RecordingObserver { SnapshotModel = model };
        var summary = Trainer.Run(model, new ListBatchSource(Data, 2), null, TrainerTests.Options(dir.Path, 10) with { MaxGradNorm = 1.0 }, obs);

        Assert.Equal(TrainingStatus.Diverged, summary.Status);
        Assert.Equal(2, summary.StepsCompleted);
        Assert.Contains("step 3", summary.Message);
        Assert.Contains("gradient norm is NaN", summary.Message);
        Assert.Empty(TrainerCheckpoints.List(dir.Path));
        var after = model.Snapshot();
        for (int p = 0; p < after.Length; p++) Assert.Equal(obs.Snapshots[2][p], after[p]);
    }

    [Fact]
    public void A_checkpoint_with_other_parameter_shapes_or_names_is_refused_naming_them()
    {
        using var dir = new TempDir();
        using (var model = new TinyLm(dim: 6))
        {
            Trainer.Run(model, new ListBatchSource(Data, 2), null, TrainerTests.Options(dir.Path, 4) with { SaveEvery = 2 });
        }
        var resume = TrainerTests.Options(dir.Path, 4) with { Resume = TrainerCheckpoints.StepFolder(dir.Path, 2) };

        using var narrower = new TinyLm(dim: 5);
        var e = Assert.Throws<InvalidDataException>(() => Trainer.Run(narrower, new ListBatchSource(Data, 2), null, resume));
        Assert.Contains("'embed.weight'", e.Message);
        Assert.Contains(new Shape(11, 6).ToString(), e.Message);
        Assert.Contains(new Shape(11, 5).ToString(), e.Message);
        Assert.Contains("'head.weight'", e.Message);

        using var extra = new TinyLm(extraParameter: true);
        e = Assert.Throws<InvalidDataException>(() => Trainer.Run(extra, new ListBatchSource(Data, 2), null, resume));
        Assert.Contains("missing 'extra.scale'", e.Message);

        using var same = new TinyLm();
        e = Assert.Throws<InvalidDataException>(() => Trainer.Run(same, new ListBatchSource(Data, 2), null, resume with { LearningRate = 0.5 }));
        Assert.Contains("learning_rate", e.Message);
    }

    [Fact]
    public void A_fresh_start_refuses_a_folder_that_already_has_checkpoints()
    {
        using var dir = new TempDir();
        using var model = new TinyLm();
        Trainer.Run(model, new ListBatchSource(Data, 2), null, TrainerTests.Options(dir.Path, 2));
        var e = Assert.Throws<InvalidOperationException>(() => Trainer.Run(model, new ListBatchSource(Data, 2), null, TrainerTests.Options(dir.Path, 2)));
        Assert.Contains("latest", e.Message);
        var missing = Assert.Throws<InvalidDataException>(() => Trainer.Run(model, new ListBatchSource(Data, 2), null,
            TrainerTests.Options(Path.Combine(dir.Path, "other"), 2) with { Resume = TrainerOptions.ResumeLatest }));
        Assert.Contains("no complete step checkpoint", missing.Message);
    }
}

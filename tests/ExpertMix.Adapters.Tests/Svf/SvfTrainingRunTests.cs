// SVF training runs on tiny-llama: sft on the shared trainer and the policy trainer with a stub reward — both learn or
// update, export a loadable expert, and resume bit for bit.
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Svf.Training;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Svf;

public sealed class SvfTrainingRunTests
{
    private static readonly int[][] Data = ListBatchSource.Sequences(16, vocab: 256, seed: 5);

    /// <summary>+1 when the completion's UTF-16 code units sum to an even number: a deterministic coin flip per text.</summary>
    private sealed class ParityReward : ISvfReward
    {
        public float Reward(EvalExample example, string completion) => completion.Sum(c => (int)c) % 2 == 0 ? 1f : -1f;
    }

    private sealed class Session : IDisposable
    {
        public Session(string modelDir, ulong expertSeed)
        {
            Model = CausalLm.Load(modelDir, new LoadOptions(DType: DTypePolicy.F32));
            Basis = SvfBasis.Decompose(Model);
            Expert = SvfExpert.CreateInitial("e", Basis, new Rng(expertSeed));
            Host = new SvfHost(Model, Basis);
        }

        public ICausalLm Model { get; }

        public SvfBasis Basis { get; }

        public SvfExpert Expert { get; }

        public SvfHost Host { get; }

        public float[][] P => [.. Expert.Parameters.Select(p => p.P.ToArray())];

        public void Dispose()
        {
            Host.Dispose();
            Expert.Dispose();
            Basis.Dispose();
            Model.Dispose();
        }
    }

    private static TrainerOptions SftOptions(string dir) => new()
    {
        OutputDirectory = dir,
        MaxSteps = 12,
        LearningRate = 0.05,
        Schedule = LrScheduleKind.Constant,
        MaxGradNorm = 0,
        EvalEvery = 4,
        SaveEvery = 6,
        Seed = 3,
    };

    private static IEnumerable<TrainingBatch> Validation() => [ListBatchSource.Build(Data[..4], Data.Max(s => s.Length))];

    [Fact]
    public void SftLowersTheLossExportsAnExpertAndResumesBitForBit()
    {
        using var straightDir = new TempDir();
        using var splitDir = new TempDir();
        float[][] straightP;
        using (var s = new Session(LoraFixtures.ModelDir("tiny-llama"), 1))
        {
            var trainable = new SvfTrainable(s.Model, s.Host, s.Expert);
            var obs = new RecordingObserver();
            var summary = Trainer.Run(trainable, new ListBatchSource(Data, 4), Validation, SftOptions(straightDir.Path), obs);
            Assert.Equal(TrainingStatus.Completed, summary.Status);
            Assert.True(obs.Evals[^1].Loss < obs.Evals[0].Loss - 0.01, $"validation loss {obs.Evals[0].Loss} → {obs.Evals[^1].Loss}");
            Assert.True(obs.Steps.Skip(8).Average(m => m.Loss) < obs.Steps.Take(4).Average(m => m.Loss), "training loss should fall");
            Assert.All(s.Model.NamedParameters(), x => Assert.False(x.Param.RequiresGrad));
            straightP = s.P;
            using var exported = SvfExpert.Load(summary.ArtifactDirectory!, s.Basis);
            Assert.Equal("sft", exported.Config!.TrainingMode);
            Assert.Equal(s.Expert.Parameters.Select(p => p.ParamName), exported.Parameters.Select(p => p.ParamName));
        }
        using (var s = new Session(LoraFixtures.ModelDir("tiny-llama"), 1))
        {
            using var cts = new CancellationTokenSource();
            var first = Trainer.Run(new SvfTrainable(s.Model, s.Host, s.Expert), new ListBatchSource(Data, 4), Validation, SftOptions(splitDir.Path),
                new RecordingObserver { CancelAt = cts, CancelAtStep = 6 }, cts.Token);
            Assert.Equal((TrainingStatus.Cancelled, 6), (first.Status, first.StepsCompleted));
        }
        using (var s = new Session(LoraFixtures.ModelDir("tiny-llama"), 99))   // other initial p: resume must overwrite it
        {
            var resumed = Trainer.Run(new SvfTrainable(s.Model, s.Host, s.Expert), new ListBatchSource(Data, 4), Validation, SftOptions(splitDir.Path) with { Resume = "latest" });
            Assert.Equal(TrainingStatus.Completed, resumed.Status);
            for (int i = 0; i < straightP.Length; i++) TensorAssert.BitEqual(straightP[i], s.P[i], $"p[{i}] after resume");
        }
    }

    private static (SvfPolicyTrainer Trainer, Session Session) Policy(string dir, ulong expertSeed, string? resume = null, SvfPolicyMode mode = SvfPolicyMode.Default)
    {
        string modelDir = SvfPolicyFixtures.ByteModelDir();
        var s = new Session(modelDir, expertSeed);
        var generator = new Generator(s.Model, Tokenizer.FromDirectory(modelDir));
        var task = EvalTasks.Get("gsm8k") with { MaxNewTokens = 6 };
        var train = Enumerable.Range(0, 5).Select(i => new EvalExample($"t{i}", $"Q{i}: {i} + {i} = ?", $"{2 * i}")).ToList();
        var dev = Enumerable.Range(0, 3).Select(i => new EvalExample($"d{i}", $"D{i}: {i} * 2 = ?", $"{2 * i}")).ToList();
        var options = SvfPolicyOptions.For(mode, dir) with
        {
            Iterations = 4,
            BatchSize = 2,
            GroupSize = mode == SvfPolicyMode.Faithful ? 1 : 3,
            KlCoefficient = 0.1,
            EvalEvery = 2,
            LearningRate = 0.05,
            MaxGradNorm = 0,
            Seed = 11,
            GenerationBatch = 4,
            Resume = resume,
        };
        return (new SvfPolicyTrainer(generator, s.Host, s.Expert, task, train, dev, options, reward: new ParityReward()), s);
    }

    [Fact]
    public void PolicyTrainerUpdatesPSelectsOnDevExportsAndResumesBitForBit()
    {
        using var straightDir = new TempDir();
        using var splitDir = new TempDir();
        float[][] straightP, initialP;
        var (trainer, session) = Policy(straightDir.Path, 1);
        using (session)
        {
            initialP = session.P;
            var obs = new RecordingObserver();
            var summary = trainer.Run(obs);
            Assert.Equal(TrainingStatus.Completed, summary.Status);
            Assert.Equal(4, obs.Steps.Count);
            Assert.NotNull(summary.BestDevAccuracy);
            Assert.Equal(2, obs.Evals.Count);                                       // a plain observer gets the dev loss
            Assert.Contains(obs.Steps, m => m.GradNorm > 0);
            straightP = session.P;
            Assert.Contains(Enumerable.Range(0, initialP.Length), i => !initialP[i].AsSpan().SequenceEqual(straightP[i]));
            var lines = File.ReadAllLines(Path.Combine(straightDir.Path, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(4, lines.Count(l => l.TryGetProperty("reward", out _)));
            Assert.Equal(2, lines.Count(l => l.TryGetProperty("dev_accuracy", out _)));
            Assert.True(Directory.Exists(summary.BestCheckpoint));
            using var exported = SvfExpert.Load(summary.ExpertDirectory!, session.Basis);
            Assert.Equal("grpo", exported.Config!.TrainingMode);
            var best = TrainerCheckpoints.ReadState(summary.BestCheckpoint!);
            Assert.Equal(summary.BestIteration, best.Step);
        }
        (trainer, session) = Policy(splitDir.Path, 1);
        using (session)
        {
            using var cts = new CancellationTokenSource();
            var first = trainer.Run(new RecordingObserver { CancelAt = cts, CancelAtStep = 2 }, cts.Token);
            Assert.Equal((TrainingStatus.Cancelled, 2), (first.Status, first.Iterations));
        }
        (trainer, session) = Policy(splitDir.Path, 77, resume: "latest");
        using (session)
        {
            var resumed = trainer.Run();
            Assert.Equal((TrainingStatus.Completed, 4), (resumed.Status, resumed.Iterations));
            for (int i = 0; i < straightP.Length; i++) TensorAssert.BitEqual(straightP[i], session.P[i], $"p[{i}] after resume");
        }
        Assert.Equal(File.ReadAllLines(Path.Combine(straightDir.Path, "metrics.jsonl")).Select(StripTimes), File.ReadAllLines(Path.Combine(splitDir.Path, "metrics.jsonl")).Select(StripTimes));
    }

    private static string StripTimes(string line)
    {
        var o = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        o.Remove("seconds");
        o.Remove("elapsed_s");
        return o.ToJsonString();
    }

    [Fact]
    public void FaithfulPolicyRunUpdatesEveryIterationWithTheReferenceKl()
    {
        using var dir = new TempDir();
        var (trainer, session) = Policy(dir.Path, 1, mode: SvfPolicyMode.Faithful);
        using (session)
        {
            var initial = session.P;
            var summary = trainer.Run();
            Assert.Equal(TrainingStatus.Completed, summary.Status);
            var lines = File.ReadAllLines(Path.Combine(dir.Path, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).Where(l => l.TryGetProperty("reward", out _)).ToList();
            Assert.Equal(4, lines.Count);
            Assert.All(lines, l => Assert.True(l.GetProperty("updated").GetBoolean()));           // ±1 rewards: no group is ever skipped
            Assert.All(lines, l => Assert.Equal(0, l.GetProperty("skipped_groups").GetInt32()));
            Assert.Contains(lines, l => l.GetProperty("kl").GetDouble() > 0);                       // KL(π_W ‖ π_W') after the first update
            Assert.Contains(Enumerable.Range(0, initial.Length), i => !initial[i].AsSpan().SequenceEqual(session.P[i]));
            using var exported = SvfExpert.Load(summary.ExpertDirectory!, session.Basis);
            Assert.Equal("reinforce", exported.Config!.TrainingMode);
        }
    }
}

// Pretraining the demo base from scratch: the loss falls, the exported directory loads with its tokenizer, runs are reproducible.
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Demo.Tests;

public sealed class DemoBaseModelTests : IDisposable
{
    private static readonly DemoBaseModelOptions Tiny = new() { HiddenSize = 32, IntermediateSize = 64, Layers = 1, Heads = 2, Steps = 40, WarmupSteps = 5, BatchSize = 16, LearningRate = 1e-2 };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "xm-demo-base-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly DemoWorld _world = DemoWorld.Build(DemoWorldOptions.Quick);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private sealed class LossLog : ITrainingObserver
    {
        public List<double> Losses { get; } = [];

        public void OnStart(int startStep, int totalSteps)
        {
        }

        public void OnStep(StepMetrics metrics) => Losses.Add(metrics.Loss);

        public void OnEval(EvalResult result)
        {
        }

        public void OnCheckpoint(int step, string directory, CheckpointKind kind)
        {
        }

        public void OnEnd(TrainingSummary summary)
        {
        }
    }

    [Fact]
    public void Pretraining_a_tiny_config_lowers_the_loss_and_exports_a_loadable_model_with_its_tokenizer()
    {
        var log = new LossLog();
        var result = DemoBaseModel.Pretrain(_world, Tiny, _dir, log);
        Assert.Equal(TrainingStatus.Completed, result.Summary.Status);
        Assert.Equal(Tiny.Steps, log.Losses.Count);
        double first = log.Losses.Take(3).Average(), last = log.Losses.TakeLast(3).Average();
        Assert.True(first > 4.5, $"a random byte model starts near ln 259 ≈ 5.56, got {first:F3}");
        Assert.True(last < 0.6 * first, $"loss {first:F3} → {last:F3}");

        Assert.Equal(Path.Combine(_dir, DemoBaseModel.ModelFolder), result.ModelDirectory);
        using var model = CausalLm.Load(result.ModelDirectory, new LoadOptions(UnusedTensors: UnusedTensorPolicy.Error));
        Assert.Equal((ByteTokenizerJson.VocabSizeWithBosEos, 32, 1), (model.Info.VocabSize, model.Info.HiddenSize, model.Info.Layers));
        Assert.Equal(ByteTokenizerJson.EosId, Assert.Single(model.Info.EosTokenIds));
        var tokenizer = Tokenizer.FromDirectory(result.ModelDirectory);
        Assert.Equal([ByteTokenizerJson.BosId, 'Q', ':'], tokenizer.Encode("Q:", SpecialTokens.Add));

        var dev = _world.Domain(DemoQuestions.Chemistry).Dev;
        var report = DemoBaseModel.Evaluate(model, tokenizer, dev);
        Assert.Equal(dev.Count, report.N);
        Assert.Equal(dev.Select(e => e.Answer), report.Records.Select(r => r.Gold));
        var recall = DemoBaseModel.CorpusRecall(model, tokenizer, _world.Corpus.Take(10));
        Assert.Equal(10, recall.N);
        Assert.DoesNotContain(recall.Records, r => r.Gold.EndsWith('.') || r.Gold.Contains(' ', StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_options_pretrain_to_the_same_weights()
    {
        var a = DemoBaseModel.Pretrain(_world, Tiny with { Steps = 6, WarmupSteps = 2 }, Path.Combine(_dir, "a"));
        var b = DemoBaseModel.Pretrain(_world, Tiny with { Steps = 6, WarmupSteps = 2 }, Path.Combine(_dir, "b"));
        using var fa = SafetensorsFile.Open(Path.Combine(a.ModelDirectory, "model.safetensors"));
        using var fb = SafetensorsFile.Open(Path.Combine(b.ModelDirectory, "model.safetensors"));
        Assert.Equal(fa.Names.Order(StringComparer.Ordinal), fb.Names.Order(StringComparer.Ordinal));
        foreach (var name in fa.Names)
        {
            using var ta = fa.GetTensor(name);
            using var tb = fb.GetTensor(name);
            Assert.Equal(ta.ToArray(), tb.ToArray());
        }
        Assert.Equal(a.Summary.LastLoss, b.Summary.LastLoss);
    }

    [Fact]
    public void The_config_is_a_tied_byte_level_llama_and_bad_options_are_refused_by_name()
    {
        var config = DemoBaseModel.Config(new DemoBaseModelOptions());
        Assert.Equal(("llama", 259, true), (config.ModelType, config.VocabSize, config.TieWordEmbeddings));
        using var meta = CausalLm.BuildMeta(config, DType.F32).Model;
        Assert.Equal(ByteTokenizerJson.BosId, meta.Info.BosTokenId);
        Assert.Contains("Heads", Assert.Throws<ArgumentException>(() => DemoBaseModel.Config(new DemoBaseModelOptions { Heads = 3 })).Message, StringComparison.Ordinal);
        Assert.Contains("WarmupSteps", Assert.Throws<ArgumentException>(() => DemoBaseModel.Config(new DemoBaseModelOptions { Steps = 10, WarmupSteps = 11 })).Message, StringComparison.Ordinal);
    }
}

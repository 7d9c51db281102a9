// X-LoRA training (spec §10 "Training and lifecycle"): gate gradients vs finite differences, only the gate changes,
// a second backward works, the trainer learns.
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.XLora;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraTrainingTests
{
    private static TrainingBatch Batch(long[] ids, int batch)
    {
        int t = ids.Length / batch;
        var input = XLoraFixtures.Ids(ids, batch);
        var labels = XLoraFixtures.Ids(ids, batch);
        var mask = Tensor.FromInts([.. Enumerable.Repeat(1, ids.Length)], new Shape(batch, t));
        return new TrainingBatch(input, labels, mask);
    }

    public static readonly TheoryData<string, bool, bool> Cases = new()
    {
        { "tiny-gpt2", false, false }, { "tiny-llama", false, false }, { "tiny-gpt2", true, false }, { "tiny-llama", true, false }, { "tiny-llama", false, true },
    };

    /// <summary>
    /// The linear stack checks every gate layer through λ. With ReLU only the last layer is probed: a ±h step on a
    /// hidden layer can cross a ReLU kink, and a step small enough not to is lost in the f32 loss's noise (ReLU's own
    /// backward has its finite-difference test in the engine).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Gate_gradients_match_central_finite_differences(string model, bool relu, bool regularized)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { LayerwiseScalings = true, XLoraDepth = 2, XLoraSize = 6, SoftmaxTemperature = 0.8f, EnableReluAndDropout = relu }, lastScale: 3f);
        const float h = 1e-2f;
        var trainable = new XLoraTrainable(xl, (_, _) => { }, regularized ? new XLoraRegularizers(EntropyBonus: 0.5, LoadBalance: 2) : null);
        using var batch = Batch([3, 17, 200, 45, 9, 120, 77, 5, 250, 33, 64, 128, 1, 99], 2);
        foreach (var (_, p) in trainable.TrainableParameters) p.Grad = null;
        using (var scope = TensorScope.Begin())
        {
            var loss = trainable.Loss(batch, ForwardMode.Train);
            loss.Backward();
        }
        double Loss()
        {
            using var scope = TensorScope.Begin();
            using var noGrad = Autograd.NoGrad();
            return trainable.Loss(batch, ForwardMode.Train).Item();
        }
        var rng = new Rng(11);
        int checkedCount = 0;
        foreach (var (name, p) in trainable.TrainableParameters.Where(p => !relu || p.Name.StartsWith("classifier.last", StringComparison.Ordinal)))
        {
            var grad = p.Grad!.ToArray();
            var values = p.Span;
            for (int probe = 0; probe < 6; probe++)
            {
                int j = probe == 0 ? Array.IndexOf(grad, grad.MaxBy(Math.Abs)) : rng.NextInt(values.Length);
                float saved = values[j];
                values[j] = saved + h;
                double plus = Loss();
                values[j] = saved - h;
                double minus = Loss();
                values[j] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - grad[j]) <= 2e-4 + 0.02 * Math.Abs(numeric), $"{name}[{j}]: analytic {grad[j]} vs finite difference {numeric}");
                checkedCount++;
            }
        }
        Assert.Equal((relu ? 2 : 4) * 6, checkedCount);
        Assert.Contains(trainable.TrainableParameters, p => p.Param.Grad!.ToArray().Max(Math.Abs) > 1e-3);
    }

    [Fact]
    public void Training_updates_only_the_gate_lowers_the_loss_and_exports_a_loadable_checkpoint()
    {
        using var xl = XLoraFixtures.Create("tiny-llama", c => c with { LayerwiseScalings = true }, lastScale: 1f);
        var frozen = xl.Base.NamedParameters().Select(p => (p.Path, p.Param.ToArray()))
            .Concat(xl.Host.Adapters.SelectMany(a => a.Adapter.NamedFactors().Select(f => (f.Key, f.Tensor.ToArray())))).ToList();
        var trainable = new XLoraTrainable(xl, (m, d) => XLoraFormat.Save(m, d));
        Assert.Equal(xl.Classifier.NamedParameters().Count(), trainable.TrainableParameters.Count);
        Assert.All(trainable.TrainableParameters, p => Assert.StartsWith("classifier.", p.Name, StringComparison.Ordinal));
        string dir = LoraFixtures.TempDir();
        var seqs = Enumerable.Range(0, 8).Select(i => Enumerable.Range(0, 12).Select(j => (i * 13 + j * 7) % 50 + 10).ToArray()).ToArray();
        var options = new TrainerOptions { OutputDirectory = dir, MaxSteps = 30, LearningRate = 0.05, Schedule = LrScheduleKind.Constant, BestCheckpoint = BestCheckpointPolicy.None };
        var observer = new RecordingObserver();
        var summary = Trainer.Run(trainable, new ListBatchSource(seqs, 4), null, options, observer);
        Assert.Equal(TrainingStatus.Completed, summary.Status);
        Assert.True(observer.Steps[^1].Loss < observer.Steps[0].Loss - 0.05, $"loss {observer.Steps[0].Loss} → {observer.Steps[^1].Loss}");
        var after = xl.Base.NamedParameters().Select(p => (p.Path, p.Param.ToArray()))
            .Concat(xl.Host.Adapters.SelectMany(a => a.Adapter.NamedFactors().Select(f => (f.Key, f.Tensor.ToArray())))).ToList();
        Assert.Equal(frozen.Count, after.Count);
        for (int i = 0; i < frozen.Count; i++) Assert.True(frozen[i].Item2.AsSpan().SequenceEqual(after[i].Item2), $"{frozen[i].Item1} changed");
        long[] probe = [3, 17, 200, 45, 9];
        using var reloaded = XLoraFormat.Load(LoraFixtures.Load("tiny-llama"), summary.ArtifactDirectory!);
        TensorAssert.BitEqual(XLoraFixtures.Logits(xl, probe), XLoraFixtures.Logits(reloaded, probe), "the exported gate reloads");
    }

    [Fact]
    public void With_trainable_adapters_the_experts_train_too_and_the_saved_experts_are_the_trained_ones()
    {
        using var xl = XLoraFixtures.Create("tiny-gpt2", c => c with { UseTrainableAdapters = true }, lastScale: 1f);
        var trainable = new XLoraTrainable(xl, (m, d) => XLoraFormat.Save(m, d));
        int factors = xl.Host.Adapters.Sum(a => a.Adapter.NamedFactors().Count());
        Assert.Equal(xl.Classifier.NamedParameters().Count() + factors, trainable.TrainableParameters.Count);
        var before = xl.Host.Adapters.SelectMany(a => a.Adapter.NamedFactors().Select(f => f.Tensor.ToArray())).ToList();
        string dir = LoraFixtures.TempDir();
        var seqs = Enumerable.Range(0, 8).Select(i => Enumerable.Range(0, 10).Select(j => (i * 11 + j * 5) % 60 + 20).ToArray()).ToArray();
        var options = new TrainerOptions { OutputDirectory = dir, MaxSteps = 5, LearningRate = 1e-2, Schedule = LrScheduleKind.Constant, BestCheckpoint = BestCheckpointPolicy.None };
        var summary = Trainer.Run(trainable, new ListBatchSource(seqs, 4), null, options);
        var after = xl.Host.Adapters.SelectMany(a => a.Adapter.NamedFactors().Select(f => f.Tensor.ToArray())).ToList();
        Assert.Contains(Enumerable.Range(0, before.Count), i => !before[i].AsSpan().SequenceEqual(after[i]));
        long[] probe = [3, 17, 200, 45, 9];
        using var reloaded = XLoraFormat.Load(LoraFixtures.Load("tiny-gpt2"), summary.ArtifactDirectory!);
        TensorAssert.Close(XLoraFixtures.Logits(xl, probe), XLoraFixtures.Logits(reloaded, probe), 1e-5, what: "trained experts and gate reload");
    }
}

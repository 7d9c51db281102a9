// Full-parameter training of a causal LM: gradients match finite differences (tied embeddings included), training lowers the loss, the saved directory reloads.
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests;

public class FullModelTrainableTests
{
    private const int Vocab = 11;

    private static HfConfigJson TinyConfig(bool tied) => new()
    {
        Architectures = ["LlamaForCausalLM"], ModelType = "llama", VocabSize = Vocab, HiddenSize = 8, IntermediateSize = 12,
        NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 2, MaxPositionEmbeddings = 64, RmsNormEps = 1e-5,
        RopeTheta = 10000, HiddenAct = "silu", TieWordEmbeddings = tied,
    };

    private static ICausalLm Build(HfConfigJson config, ulong seed = 5)
    {
        var model = CausalLm.BuildRandom(config, DType.F32, seed);
        FullModelTrainable.InitializeNorms(model);
        // Larger weights than the N(0, 0.02²) default, so every path contributes a gradient well above f32 rounding.
        foreach (var (_, p) in model.NamedParameters())
        {
            if (p.Rank == 2) p.ScaleInPlace(15f);
        }
        return model;
    }

    private static double LossValue(ITrainable trainable, TrainingBatch batch)
    {
        using var scope = TensorScope.Begin();
        using var noGrad = Autograd.NoGrad();
        return trainable.Loss(batch, ForwardMode.Eval).Item();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_parameter_gradient_matches_central_finite_differences_of_the_loss(bool tied)
    {
        var config = TinyConfig(tied);
        using var model = Build(config);
        var trainable = new FullModelTrainable(model, config);
        using var batch = ListBatchSource.Build(ListBatchSource.Sequences(3, Vocab, seed: 9), 8);
        using (TensorScope.Begin())
        {
            trainable.Loss(batch, ForwardMode.Train).Backward();
        }
        var rng = new Rng(17);
        const float h = 1e-2f;
        foreach (var (name, p) in trainable.TrainableParameters)
        {
            Assert.True(p.Grad is not null, $"{name} got no gradient");
            var analytic = p.Grad!.ToArray();
            for (int probe = 0; probe < 3; probe++)
            {
                int j = rng.NextInt((int)p.Numel);
                var basis = new float[p.Numel];
                basis[j] = 1f;
                using var e = Tensor.FromArray(basis, p.Shape);
                p.AddScaledInPlace(e, h);
                double plus = LossValue(trainable, batch);
                p.AddScaledInPlace(e, -2 * h);
                double minus = LossValue(trainable, batch);
                p.AddScaledInPlace(e, h);
                double numeric = (plus - minus) / (2 * h);
                double tolerance = 2e-3 + 0.02 * Math.Abs(numeric);
                Assert.True(Math.Abs(numeric - analytic[j]) <= tolerance,
                    $"{name}[{j}] (tied = {tied}): autograd {analytic[j]:G6} vs finite difference {numeric:G6}");
            }
        }
        if (tied) Assert.DoesNotContain(trainable.TrainableParameters, p => p.Name == "lm_head.weight");
    }

    [Fact]
    public void Training_every_parameter_lowers_the_loss_and_the_saved_directory_reloads_with_identical_logits()
    {
        var config = TinyConfig(tied: true);
        using var model = Build(config, seed: 3);
        using var dir = new TempDir();
        bool sideFilesWritten = false;
        var trainable = new FullModelTrainable(model, config, d => sideFilesWritten = File.Exists(Path.Combine(d, "model.safetensors")));
        var before = trainable.TrainableParameters.ToDictionary(p => p.Name, p => p.Param.ToArray());
        var observer = new RecordingObserver();
        var summary = Trainer.Run(trainable, new ListBatchSource(ListBatchSource.Sequences(16, Vocab), 4), null,
            new TrainerOptions { OutputDirectory = dir.Path, MaxSteps = 40, LearningRate = 1e-2, Schedule = LrScheduleKind.Constant, Export = ArtifactExport.Final },
            observer);
        Assert.Equal(TrainingStatus.Completed, summary.Status);
        double first = observer.Steps.Take(4).Average(s => s.Loss), last = observer.Steps.TakeLast(4).Average(s => s.Loss);
        Assert.True(last < 0.7 * first, $"loss {first:F4} → {last:F4} did not drop by 30 %");
        Assert.All(trainable.TrainableParameters, p => Assert.NotEqual(before[p.Name], p.Param.ToArray()));
        Assert.True(sideFilesWritten, "the side-file writer ran before the weights were written");

        string artifact = summary.ArtifactDirectory!;
        Assert.True(File.Exists(Path.Combine(artifact, "config.json")));
        using var loaded = CausalLm.Load(artifact, new LoadOptions(DType: DTypePolicy.F32, UnusedTensors: UnusedTensorPolicy.Error));
        using var noGrad = Autograd.NoGrad();
        using var ids = Tensor.FromInts([1, 4, 2, 7, 9, 3, 0, 5], new Shape(2, 4));
        using var expected = model.Forward(ids, new ForwardContext());   // [2, 4, V]
        using var actual = loaded.Forward(ids, new ForwardContext());    // [2, 4, V]
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    [Fact]
    public void A_16_bit_model_is_refused_naming_the_parameter()
    {
        var config = TinyConfig(tied: true);
        using var model = CausalLm.BuildRandom(config, DType.BF16, 1);
        var e = Assert.Throws<ArgumentException>(() => new FullModelTrainable(model, config));
        Assert.Contains("model.embed_tokens.weight is BF16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InitializeNorms_sets_norm_gains_to_one_and_leaves_matrices_alone()
    {
        var config = TinyConfig(tied: true);
        using var model = CausalLm.BuildRandom(config, DType.F32, 2);
        var matrices = model.NamedParameters().Where(p => p.Param.Rank == 2).ToDictionary(p => p.Path, p => p.Param.ToArray());
        FullModelTrainable.InitializeNorms(model);
        foreach (var (path, p) in model.NamedParameters())
        {
            if (p.Rank == 1) Assert.All(p.ToArray(), v => Assert.Equal(1f, v));
            else Assert.Equal(matrices[path], p.ToArray());
        }
        Assert.Contains(model.NamedParameters(), p => p.Path == "model.norm.weight");
    }
}

// The SVF policy objective on tiny-llama: the faithful-step PyTorch golden, no gradient from all-equal groups, and a
// step that moves p toward rewarded completions.
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Svf.Training;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Svf;

public sealed class SvfPolicyModelTests
{
    private static SvfRollout Rollout(Rng rng, int prompt, int completion, float reward) =>
        new([.. Enumerable.Range(0, prompt).Select(_ => 3 + rng.NextInt(250))], [.. Enumerable.Range(0, completion).Select(_ => 3 + rng.NextInt(250))], reward);

    [Fact]
    public void FaithfulStepMatchesThePyTorchGolden()
    {
        var golden = LoraFixtures.Golden("svf-reinforce-tiny-llama.safetensors");
        using var lm = LoraFixtures.Load("tiny-llama");
        using var basis = SvfBasis.Decompose(lm);
        using var expert = SvfFixtures.GoldenInitialExpert(golden, basis);
        using var host = new SvfHost(lm, basis);
        host.Apply(expert);
        var rewards = golden["rewards"].Data;
        var rollouts = Enumerable.Range(0, rewards.Length).Select(j => new SvfRollout(
            [.. golden[$"prompt.{j}"].ToInt64().Select(x => (int)x)], [.. golden[$"completion.{j}"].ToInt64().Select(x => (int)x)], rewards[j])).ToList();
        double kl = double.Parse(golden.Metadata["kl"], System.Globalization.CultureInfo.InvariantCulture);
        var options = SvfPolicyOptions.For(SvfPolicyMode.Faithful, "unused") with { KlCoefficient = kl };
        var step = SvfPolicyLoss.Accumulate(lm, host, rollouts, rollouts.Count, options, 8);
        Assert.Equal(golden["loss"].Data[0], step.Loss, 4);
        Assert.True(step.MeanKl > 1e-4, $"the KL term should matter in this golden (mean KL {step.MeanKl})");
        foreach (var (name, p) in expert.Parameters) TensorAssert.Close(golden[$"grad.{name}"].Data, p.Grad!.ToArray(), 1e-5, 2e-3, $"∂L/∂p {name}");

        using var adam = new AdamW(expert.Parameters.Select(x => x.P), new AdamWOptions(LearningRate: options.LearningRate, WeightDecay: 0));
        GradClipping.ClipGlobalNorm(expert.Parameters.Select(x => x.P), options.MaxGradNorm);
        adam.Step();
        foreach (var (name, p) in expert.Parameters) TensorAssert.Close(golden[$"final.{name}"].Data, p.ToArray(), 1e-6, 1e-5, $"p after clip + Adam {name}");
        Assert.All(lm.NamedParameters(), x => Assert.Null(x.Param.Grad));
    }

    [Fact]
    public void AllEqualGroupsProduceNoGradientAndMixedGroupsDo()
    {
        using var lm = LoraFixtures.Load("tiny-llama");
        using var basis = SvfBasis.Decompose(lm);
        using var expert = SvfExpert.CreateInitial("e", basis, new Rng(1));
        using var host = new SvfHost(lm, basis);
        host.Apply(expert);
        var rng = new Rng(2);
        var options = SvfPolicyOptions.For(SvfPolicyMode.Default, "unused") with { GroupSize = 2 };
        var equal = new[] { Rollout(rng, 4, 3, 1), Rollout(rng, 4, 5, 1), Rollout(rng, 5, 3, -1), Rollout(rng, 5, 2, -1) };
        var step = SvfPolicyLoss.Accumulate(lm, host, equal, 2, options, 8);
        Assert.Equal((2, 0, 0.0), (step.SkippedGroups, step.TrainedSamples, step.Loss));
        Assert.All(expert.Parameters, p => Assert.True(p.P.Grad is null || p.P.Grad.ToArray().All(v => v == 0), $"{p.ParamName} got a gradient"));

        var mixed = new[] { equal[0], equal[1], Rollout(rng, 5, 3, 1), Rollout(rng, 5, 2, -1) };
        step = SvfPolicyLoss.Accumulate(lm, host, mixed, 2, options, 8);
        Assert.Equal((1, 2), (step.SkippedGroups, step.TrainedSamples));
        Assert.Contains(expert.Parameters, p => p.P.Grad is { } g && g.ToArray().Any(v => v != 0));
    }

    [Theory]
    [InlineData(nameof(SvfPolicyMode.Faithful))]
    [InlineData(nameof(SvfPolicyMode.Default))]
    public void OneStepRaisesTheLikelihoodOfRewardedCompletionsAndLowersPunishedOnes(string modeName)
    {
        var mode = Enum.Parse<SvfPolicyMode>(modeName);   // by name: the enum is internal to ExpertMix.Adapters
        using var lm = LoraFixtures.Load("tiny-llama");
        using var basis = SvfBasis.Decompose(lm);
        using var expert = SvfExpert.CreateInitial("e", basis, new Rng(3));
        using var host = new SvfHost(lm, basis);
        host.Apply(expert);
        var rng = new Rng(4);
        var good = Rollout(rng, 6, 5, 1);
        var bad = Rollout(rng, 6, 5, -1);
        var options = SvfPolicyOptions.For(mode, "unused") with { LearningRate = 0.05, MaxGradNorm = 0, KlCoefficient = 0, GroupSize = mode == SvfPolicyMode.Faithful ? 1 : 2 };
        SvfRollout[] rollouts = mode == SvfPolicyMode.Faithful ? [good, bad] : [good, bad with { PromptIds = good.PromptIds }];
        double LogP(SvfRollout r) => SvfPolicyLoss.SequenceLogProb(lm, r.PromptIds, r.CompletionIds);
        var before = rollouts.Select(LogP).ToArray();
        var step = SvfPolicyLoss.Accumulate(lm, host, rollouts, mode == SvfPolicyMode.Faithful ? 2 : 1, options, 8);
        Assert.Equal(2, step.TrainedSamples);
        using var adam = new AdamW(expert.Parameters.Select(x => x.P), new AdamWOptions(LearningRate: options.LearningRate, WeightDecay: 0));
        adam.Step();
        var after = rollouts.Select(LogP).ToArray();
        Assert.True(after[0] > before[0], $"rewarded completion: log p {before[0]} → {after[0]}");
        Assert.True(after[1] < before[1], $"punished completion: log p {before[1]} → {after[1]}");
    }

    [Fact]
    public void BaseWeightScopeRunsTheBaseForwardWithoutRecomposing()
    {
        long[] ids = [3, 17, 200, 45, 9, 120, 77, 5];
        using var lm = LoraFixtures.Load("tiny-llama");
        var baseLogits = LoraFixtures.Logits(lm, ids);
        using var basis = SvfBasis.Decompose(lm);
        using var expert = SvfExpert.CreateInitial("e", basis, new Rng(8), mean: 0, std: 1);
        using var host = new SvfHost(lm, basis);
        host.Apply(expert);
        var adapted = LoraFixtures.Logits(lm, ids);
        Assert.NotEqual(baseLogits, adapted);
        var versions = host.Linears.Select(l => l.Version).ToList();
        using (host.UseBaseWeights())
        {
            Assert.Equal(baseLogits, LoraFixtures.Logits(lm, ids));                      // bit-exact base forward
        }
        Assert.Equal(adapted, LoraFixtures.Logits(lm, ids));
        Assert.Equal(versions, host.Linears.Select(l => l.Version).ToList());           // W' was not recomposed
    }
}

// The SVF policy objective without a model: KL directions on toy distributions and the group advantages.
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Svf.Training;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests.Svf;

public sealed class SvfPolicyObjectiveTests
{
    // Two positions over a 3-token vocabulary: π_W' (policy) and π_W (base), as probabilities.
    private static readonly double[][] Policy = [[0.9, 0.05, 0.05], [0.05, 0.05, 0.9]];
    private static readonly double[][] Base = [[1 / 3.0, 1 / 3.0, 1 / 3.0], [0.3, 0.3, 0.4]];

    private static Tensor LogProbs(double[][] rows) =>
        Tensor.FromArray(rows.SelectMany(r => r.Select(p => (float)Math.Log(p))).ToArray(), new Shape(rows.Length, rows[0].Length));

    private static double Kl(double[] p, double[] q) => p.Select((pi, i) => pi * Math.Log(pi / q[i])).Sum();

    [Fact]
    public void DefaultKlIsPolicyToBaseFaithfulIsBaseToPolicyAndTheyDiffer()
    {
        using var scope = TensorScope.Begin();
        var lp = LogProbs(Policy);
        var lb = LogProbs(Base);
        var paperDirection = SvfPolicyLoss.TokenKl(lp, lb, SvfPolicyOptions.For(SvfPolicyMode.Default, "x").KlDirection).ToArray();
        var codeDirection = SvfPolicyLoss.TokenKl(lp, lb, SvfPolicyOptions.For(SvfPolicyMode.Faithful, "x").KlDirection).ToArray();
        for (int t = 0; t < 2; t++)
        {
            double forward = Kl(Policy[t], Base[t]), reverse = Kl(Base[t], Policy[t]);
            Assert.Equal(forward, paperDirection[t], 5);                     // KL(π_W' ‖ π_W)
            Assert.Equal(reverse, codeDirection[t], 5);                      // KL(π_W ‖ π_W')
            Assert.True(Math.Abs(forward - reverse) > 0.05, $"position {t}: the two directions should differ ({forward} vs {reverse})");
            Assert.True(Math.Abs(paperDirection[t] - codeDirection[t]) > 0.05);
        }
        var same = SvfPolicyLoss.TokenKl(lp, lp, SvfKlDirection.PolicyToBase).ToArray();
        Assert.All(same, v => Assert.Equal(0, v, 6));                          // KL(π ‖ π) = 0
    }

    [Fact]
    public void KlGradientFlowsToThePolicyOnly()
    {
        using var scope = TensorScope.Begin();
        var logits = Tensor.FromArray([1f, -0.5f, 0.3f, 2f, 0.1f, -1f], new Shape(2, 3));
        logits.RequiresGrad = true;
        var lb = LogProbs(Base);
        var lp = Ops.LogSoftmax(logits);
        var kl = Ops.Sum(SvfPolicyLoss.TokenKl(lp, lb, SvfKlDirection.PolicyToBase));
        kl.Backward();
        // d/dlogits KL(softmax(x) ‖ q) = p ⊙ (log p − log q − KL_row): check one row in f64
        var x = new[] { 1.0, -0.5, 0.3 };
        double z = x.Sum(Math.Exp);
        var p = x.Select(v => Math.Exp(v) / z).ToArray();
        double rowKl = Kl(p, Base[0]);
        var grad = logits.Grad!.ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(p[i] * (Math.Log(p[i] / Base[0][i]) - rowKl), grad[i], 5);
    }

    [Fact]
    public void RlooAdvantagesSumToZeroPerGroupAndEqualGroupsGetZero()
    {
        var rng = new Rng(5);
        var rewards = Enumerable.Range(0, 40).Select(_ => rng.NextInt(2) == 0 ? -1f : 1f).ToList();
        rewards[4] = rewards[5] = rewards[6] = rewards[7] = 1f;                // an all-correct group
        rewards[8] = rewards[9] = rewards[10] = rewards[11] = -1f;             // an all-wrong group
        var a = SvfPolicyLoss.Advantages(rewards, 4, SvfAdvantage.Rloo);
        for (int g = 0; g < 10; g++) Assert.Equal(0, a.Skip(4 * g).Take(4).Sum(), 12);
        Assert.All(a.Skip(4).Take(8), v => Assert.Equal(0.0, v));
        var grpo = SvfPolicyLoss.Advantages(rewards, 4, SvfAdvantage.Grpo);
        for (int g = 0; g < 10; g++) Assert.Equal(0, grpo.Skip(4 * g).Take(4).Sum(), 9);
        Assert.All(grpo.Skip(4).Take(8), v => Assert.Equal(0.0, v));

        // one right answer among four: A = r − mean of the other three
        var one = SvfPolicyLoss.Advantages([1f, -1f, -1f, -1f], 4, SvfAdvantage.Rloo);
        Assert.Equal(2.0, one[0], 12);
        Assert.Equal(-2.0 / 3, one[1], 12);
        Assert.Throws<ArgumentException>(() => SvfPolicyLoss.Advantages([1f, 1f, 1f], 2, SvfAdvantage.Rloo));
    }

    [Fact]
    public void ModeDefaultsFollowTheSpecAndBadOptionsAreNamed()
    {
        var f = SvfPolicyOptions.For(SvfPolicyMode.Faithful, "out");
        Assert.Equal((1, 0f, 0.0, SvfLengthNormalization.Sum), (f.GroupSize, f.Temperature, f.KlCoefficient, f.LengthNormalization));
        var d = SvfPolicyOptions.For(SvfPolicyMode.Default, "out");
        Assert.Equal((4, 1f, 0.1, SvfLengthNormalization.SampleMean, SvfAdvantage.Rloo), (d.GroupSize, d.Temperature, d.KlCoefficient, d.LengthNormalization, d.Advantage));
        Assert.All(new[] { f, d }, o => Assert.Equal((2e-3, 1e-3, 10), (o.LearningRate, o.MaxGradNorm, o.EvalEvery)));
        var e = Assert.Throws<ArgumentException>(() => (f with { GroupSize = 4 }).Validate());
        Assert.Contains("GroupSize", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => (d with { GroupSize = 1 }).Validate());
        Assert.Contains("GroupSize", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => (d with { KlCoefficient = -1 }).Validate());
        Assert.Contains("KlCoefficient", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifierRewardsArePlusOneWhenCorrectAndMinusOneOtherwise()
    {
        var q = new EvalExample("q", "What is 6 · 7?", "42");
        var gsm = new VerifierReward(new Gsm8kVerifier());
        Assert.Equal(1f, gsm.Reward(q, "6 · 7 = 42."));
        Assert.Equal(-1f, gsm.Reward(q, "It is 41"));
        var arc = new VerifierReward(new ChoiceLetterVerifier());
        Assert.Equal(1f, arc.Reward(new EvalExample("a", "…", "B"), "so the answer is (B)"));
        Assert.Equal(-1f, arc.Reward(new EvalExample("a", "…", "B"), "so the answer is (C)"));
        var pubmed = new VerifierReward(new YesNoMaybeVerifier());
        Assert.Equal(1f, pubmed.Reward(new EvalExample("p", "…", "maybe"), "Decision: maybe"));
        var exact = new VerifierReward(new ExactMatchVerifier());
        Assert.Equal(1f, exact.Reward(new EvalExample("e", "…", "Paris"), "  Paris "));
        var regex = new VerifierReward(new RegexVerifier(@"city: (\w+)"));
        Assert.Equal(1f, regex.Reward(new EvalExample("r", "…", "Paris"), "the city: Paris, France"));
        Assert.Equal(-1f, regex.Reward(new EvalExample("r", "…", "Paris"), "no city here"));
        // a completion is verified after the example's prefix (HumanEval completes the prompt's function)
        var prefixed = new EvalExample("h", "def f():", "4") { VerifyPrefix = "x = 2 + " };
        Assert.Equal(1f, new VerifierReward(new RegexVerifier(@"x = 2 \+ (\d)")).Reward(prefixed, "4"));
    }
}

// Dropout: seeded determinism across thread counts, mean preservation, identity cases, mask-based gradient.
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")] // tests here change the global Engine.Threads; run them one at a time
public class ActivationDropoutTests
{
    [Fact]
    public void Dropout_is_deterministic_for_a_seed_whatever_the_thread_count()
    {
        using var x = DoubleMath.Rand(new[] { 300, 1000 }, 80);
        int saved = Engine.Threads;
        try
        {
            Engine.Threads = 1;
            using var a = Ops.Dropout(x, 0.3f, new Rng(42));
            Engine.Threads = 2;
            using var b = Ops.Dropout(x, 0.3f, new Rng(42));
            using var c = Ops.Dropout(x, 0.3f, new Rng(43));
            TensorAssert.BitEqual(a.ToArray(), b.ToArray(), "seed 42, 1 vs 2 threads");
            Assert.NotEqual(a.ToArray(), c.ToArray());
        }
        finally
        {
            Engine.Threads = saved;
        }
    }

    [Fact]
    public void Dropout_keeps_one_minus_p_and_preserves_the_mean()
    {
        const int N = 400_000;
        using var ones = Tensor.Ones(new[] { N });
        using var y = Ops.Dropout(ones, 0.25f, new Rng(1));
        var v = y.ToArray();
        int kept = v.Count(t => t != 0);
        Assert.All(v, t => Assert.True(t == 0 || t == 1f / 0.75f));
        double keptFraction = (double)kept / N;                  // binomial sd ≈ 6.8e-4
        Assert.InRange(keptFraction, 0.75 - 0.004, 0.75 + 0.004);
        Assert.InRange(v.Average(t => (double)t), 1 - 0.006, 1 + 0.006);
    }

    [Fact]
    public void Dropout_is_the_identity_in_eval_or_with_p_zero_and_zero_with_p_one()
    {
        using var x = DoubleMath.Rand(new[] { 5, 7 }, 81);
        using var eval = Ops.Dropout(x, 0.5f, new Rng(1), training: false);
        using var p0 = Ops.Dropout(x, 0f, new Rng(1));
        using var p1 = Ops.Dropout(x, 1f, new Rng(1));
        TensorAssert.BitEqual(x.ToArray(), eval.ToArray(), "eval");
        TensorAssert.BitEqual(x.ToArray(), p0.ToArray(), "p = 0");
        Assert.All(p1.ToArray(), t => Assert.Equal(0f, t));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(x, 1.5f, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(x, float.NaN, new Rng(1)));
    }

    [Fact]
    public void Dropout_gradient_uses_the_saved_mask()
    {
        using var x = DoubleMath.Rand(new[] { 4, 50 }, 82);
        using var leaf = x.Clone();
        leaf.RequiresGrad = true;
        using var y = Ops.Dropout(leaf, 0.4f, new Rng(9));
        using var g = DoubleMath.Rand(new[] { 4, 50 }, 83);
        y.Backward(g);
        var xv = x.ToArray();
        var yv = y.ToArray();
        var gv = g.ToArray();
        var dx = leaf.Grad!.ToArray();
        for (int i = 0; i < xv.Length; i++)
        {
            float mask = yv[i] == 0 ? 0 : 1f / 0.6f;
            Assert.Equal(gv[i] * mask, dx[i], 1e-6f);
        }
        // The same seed gives the same mask, so the op is a fixed linear map for GradCheck.
        GradCheck.Check("Dropout", t => Ops.Dropout(t[0], 0.4f, new Rng(9)), v =>
        {
            var res = new double[v[0].Length];
            for (int i = 0; i < res.Length; i++) res[i] = yv[i] == 0 ? 0 : v[0][i] / 0.6f;
            return res;
        }, [x]);
    }
}

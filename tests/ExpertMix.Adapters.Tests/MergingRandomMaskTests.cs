// Spec §8.5–8.6: DARE/DELLA unbiasedness, seeding and keep counts; breadcrumbs band counts; slerp endpoints and fallback.
using ExpertMix.Adapters.Merging;
using ExpertMix.Tensors;
using static ExpertMix.Adapters.Tests.MergingFixtures;

namespace ExpertMix.Adapters.Tests;

public class MergingRandomMaskTests
{
    private static float[] Values(int n, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(_ => (float)rng.NextNormal()).ToArray();
    }

    [Theory]
    [InlineData(Sparsifier.Random)]
    [InlineData(Sparsifier.DellaMagprune)]
    public void Inverse_prob_rescale_is_unbiased(Sparsifier method)
    {
        const int N = 400, Trials = 3000;
        var tau = Values(N, 1);
        var mean = new double[N];
        for (int t = 0; t < Trials; t++)
        {
            var y = Sparsification.Apply(tau, 4, 100, method, 0.3, RescaleMode.InverseProb, Sparsification.MaskRng((ulong)t, "m", 0), epsilon: 0.15);
            for (int i = 0; i < N; i++) mean[i] += y[i] / (double)Trials;
        }
        // per-entry sd of the mean ≤ |τ|·sqrt((1−p)/(p·Trials)) ≤ |τ|·0.035 for p ≥ 0.15: a 0.1 bound is > 2.8σ in aggregate
        Assert.True(RelErr(mean, tau.Select(v => (double)v).ToArray()) < 0.1);
    }

    [Theory]
    [InlineData(Sparsifier.Random)]
    [InlineData(Sparsifier.DellaMagprune)]
    public void Masks_are_reproducible_by_seed_and_independent_across_adapters_and_keep_rho_n_on_average(Sparsifier method)
    {
        const int N = 10000;
        var tau = Values(N, 2);
        float[] Run(ulong seed, string module, int index)
            => Sparsification.Apply(tau, 10, 1000, method, 0.3, RescaleMode.None, Sparsification.MaskRng(seed, module, index));
        var a = Run(5, "h.0.attn", 0);
        Assert.Equal(a, Run(5, "h.0.attn", 0));
        Assert.NotEqual(a, Run(5, "h.0.attn", 1));
        Assert.NotEqual(a, Run(5, "h.1.attn", 0));
        Assert.NotEqual(a, Run(6, "h.0.attn", 0));
        int kept = a.Count(v => v != 0);
        double sd = Math.Sqrt(N * 0.3 * 0.7);
        Assert.InRange(kept, 3000 - (5 * sd), 3000 + (5 * sd));
        Assert.All(a.Select((v, i) => (v, i)).Where(p => p.v != 0), p => Assert.Equal(tau[p.i], p.v)); // no rescale: kept values unchanged
    }

    [Fact]
    public void Della_keeps_large_entries_more_often()
    {
        const int N = 1000;
        var tau = Values(N, 3);
        var order = Enumerable.Range(0, N).OrderBy(i => Math.Abs(tau[i])).ToArray();
        int keptSmall = 0, keptLarge = 0;
        for (int t = 0; t < 200; t++)
        {
            var y = Sparsification.Apply(tau, 1, N, Sparsifier.DellaMagprune, 0.5, RescaleMode.None, Sparsification.MaskRng((ulong)t, "m", 0), epsilon: 0.4);
            keptSmall += order.Take(100).Count(i => y[i] != 0);
            keptLarge += order.TakeLast(100).Count(i => y[i] != 0);
        }
        // p ≈ 0.1..0.14 for the smallest decile, 0.86..0.9 for the largest
        Assert.InRange(keptSmall / 20000.0, 0.08, 0.16);
        Assert.InRange(keptLarge / 20000.0, 0.84, 0.92);
        Assert.Throws<ArgumentException>(() => Sparsification.Apply(tau, 1, N, Sparsifier.DellaMagprune, 0.5, RescaleMode.None, new Rng(1), epsilon: 0.5));
    }

    [Fact]
    public void L1_rescale_matches_the_l1_norm()
    {
        var tau = Values(1000, 4);
        var y = Sparsification.Apply(tau, 1, 1000, Sparsifier.Random, 0.2, RescaleMode.L1, new Rng(9));
        Assert.Equal(tau.Sum(v => Math.Abs((double)v)), y.Sum(v => Math.Abs((double)v)), 1e-3);
    }

    [Theory]
    [InlineData(0.5, 0.1, 40, 90)]   // n_top = 10, n_bot = 100 − 50 − 10 = 40: ranks 40..89
    [InlineData(0.5, 0.001, 50, 100)] // n_top = ⌊0.1⌋ = 0 (end-relative slice bug): the top is kept, ranks 50..99
    [InlineData(0.95, 0.1, 0, 95)]   // n_bot = 100 − 95 − 10 = −5 → n_top = 5, n_bot = 0: ranks 0..94
    public void Breadcrumbs_drops_exact_top_and_bottom_counts(double density, double gamma, int firstKeptRank, int endRank)
    {
        // |x| ranks are known: x_i = ±(i+1) in a shuffled order
        var rng = new Rng(11);
        var mags = Enumerable.Range(1, 100).OrderBy(_ => rng.NextDouble()).ToArray();
        var x = mags.Select((m, i) => (float)(i % 2 == 0 ? m : -m)).ToArray();
        var y = Sparsification.Apply(x, 10, 10, Sparsifier.MagnitudeOutliers, density, RescaleMode.None, null, gamma: gamma);
        for (int i = 0; i < 100; i++)
        {
            int rank = mags[i] - 1; // ascending |x| rank
            bool keep = rank >= firstKeptRank && rank < endRank;
            Assert.Equal(keep ? x[i] : 0f, y[i]);
        }
    }

    [Fact]
    public void Magnitude_sparsifier_breaks_ties_to_exact_counts()
    {
        float[] x = [1, -1, 1, -1, 1, 2, 2, 0, 0, 0];
        var y = Sparsification.Apply(x, 1, 10, Sparsifier.Magnitude, 0.4, RescaleMode.None, null); // k = 4: both 2s and two of the 1s
        Assert.Equal(4, y.Count(v => v != 0));
        Assert.Equal(2f, y[5]);
        Assert.Equal(2f, y[6]);
    }

    [Fact]
    public void Slerp_returns_endpoints_and_falls_back_to_lerp_when_colinear()
    {
        var a = Values(50, 5);
        var b = Values(50, 6);
        Assert.Equal(a, MergekitFunctions.Slerp(a, b, 0));
        var end = MergekitFunctions.Slerp(a, b, 1);
        for (int i = 0; i < 50; i++) Assert.Equal(b[i], end[i], 5);
        var twice = a.Select(v => 2 * v).ToArray();
        var mid = MergekitFunctions.Slerp(a, twice, 0.25); // colinear: (1 − t)a + t·2a = 1.25a
        for (int i = 0; i < 50; i++) Assert.Equal(1.25f * a[i], mid[i], 5);
        // orthogonal unit vectors: t = 1/2 gives sin(π/4)/sin(π/2)·(e1 + e2)
        var e = MergekitFunctions.Slerp([1, 0], [0, 1], 0.5);
        Assert.Equal(Math.Sqrt(0.5), e[0], 6);
        Assert.Equal(Math.Sqrt(0.5), e[1], 6);
    }

    [Fact]
    public void Slerp_through_the_merger_returns_the_endpoint_deltas()
    {
        using var x = Random("x", 21, Small);
        using var y = Random("y", 22, Small);
        using var t0 = LoraMerger.Merge([new(x, 1f), new(y, 1f)], MergeMethod.Slerp, new MergeOptions { SlerpT = 0 });
        using var t1 = LoraMerger.Merge([new(x, 1f), new(y, 1f)], MergeMethod.Slerp, new MergeOptions { SlerpT = 1 });
        foreach (var s in Small)
        {
            Assert.True(RelErr(DeltaOf(t0, s.Path), Dense(x.Modules[s.Path])) <= 1e-6);
            Assert.True(RelErr(DeltaOf(t1, s.Path), Dense(y.Modules[s.Path])) <= 1e-6);
        }
    }

    [Fact]
    public void Dare_merges_are_reproducible_by_seed()
    {
        using var x = Random("x", 23, Small);
        using var y = Random("y", 24, Small);
        MergeInput[] inputs = [new(x, 1f), new(y, 1f)];
        foreach (var method in new[] { MergeMethod.DareTies, MergeMethod.Della, MergeMethod.PeftDareLinear, MergeMethod.PeftDareTiesSvd })
        {
            using var a = LoraMerger.Merge(inputs, method, new MergeOptions { Density = 0.5, Seed = 3 });
            using var b = LoraMerger.Merge(inputs, method, new MergeOptions { Density = 0.5, Seed = 3 });
            using var c = LoraMerger.Merge(inputs, method, new MergeOptions { Density = 0.5, Seed = 4 });
            foreach (var s in Small)
            {
                Assert.Equal(DeltaOf(a, s.Path), DeltaOf(b, s.Path));
                Assert.NotEqual(DeltaOf(a, s.Path), DeltaOf(c, s.Path));
            }
        }
    }
}

// The CEM optimiser of Transformer² §9.3: convergence on a known optimum and the reference's iteration rules.
using ExpertMix.Adapters.Adaptation;

namespace ExpertMix.Adapters.Tests.Adaptation;

public class CrossEntropyMethodTests
{
    private static readonly double[] Target = [0.8, 0.1, 0.35];

    private static double SquaredDistance(double[] a, double[] b) => a.Zip(b, (x, y) => (x - y) * (x - y)).Sum();

    // "Accuracy" on 10 shots: shot j is answered when ‖α − α*‖² < 0.02·(j + 1); tie-break −‖α − α*‖².
    private static CemFitness Objective(double[] alpha)
    {
        double d = SquaredDistance(alpha, Target);
        int correct = Enumerable.Range(0, 10).Count(j => d < 0.02 * (j + 1));
        return new CemFitness(correct / 10.0, -d);
    }

    [Fact]
    public void Defaults_are_the_reference_settings()
    {
        var o = new CemOptions();
        Assert.Equal(32, o.Population);
        Assert.Equal(6, o.EliteCount);
        Assert.Equal(50, o.Iterations);
        Assert.Equal(10, o.TestInterval);
        Assert.Equal((0.0, 1.0), (o.Lower, o.Upper));
        Assert.Equal(0.0, o.Ema);
        Assert.True(o.ReEvaluateBest);
        Assert.Equal(CemTieBreak.Secondary, o.TieBreak);
    }

    [Fact]
    public void Converges_to_a_known_optimum_of_a_discretised_objective()
    {
        var result = CrossEntropyMethod.Optimize(3, 3, Objective, new CemOptions { Seed = 7 });
        Assert.Equal(1.0, result.BestFitness.Primary);
        Assert.True(SquaredDistance(result.Best, Target) < 1e-3, $"best {string.Join(", ", result.Best)} is {SquaredDistance(result.Best, Target):g3} from the optimum");
        Assert.Equal(50, result.History.Count);
        Assert.Equal(32 * 50, result.Evaluations);
    }

    [Fact]
    public void Candidate_zero_is_the_incumbent_and_samples_are_clamped()
    {
        var populations = new List<List<double[]>> { new() };
        int calls = 0;
        CemFitness Recording(double[] x)
        {
            if (calls > 0 && calls % 32 == 0) populations.Add([]);
            populations[^1].Add(x);
            calls++;
            return Objective(x);
        }
        var result = CrossEntropyMethod.Optimize(3, 3, Recording, new CemOptions { Iterations = 5, Seed = 3, InitialSigma = 3.0 });
        Assert.Equal(5, populations.Count);
        for (int it = 1; it < populations.Count; it++)
        {
            Assert.Equal(result.History[it - 1].Best, populations[it][0]);
        }
        var all = populations.SelectMany(p => p).SelectMany(x => x).ToArray();
        Assert.All(all, v => Assert.InRange(v, 0.0, 1.0));
        Assert.Contains(all, v => v == 0.0);   // σ₀ = 3 puts many samples outside: they are clamped onto the bounds
        Assert.Contains(all, v => v == 1.0);
    }

    [Fact]
    public void Elites_are_six_of_thirty_two_by_primary_only_and_set_the_next_mean()
    {
        var seen = new List<(double[] X, CemFitness F)>();
        CemFitness Recording(double[] x)
        {
            var f = Objective(x);
            seen.Add((x, f));
            return f;
        }
        var result = CrossEntropyMethod.Optimize(3, 3, Recording, new CemOptions { Iterations = 1, Seed = 11 });
        var iteration = result.History[0];
        Assert.Equal(6, iteration.Elites.Length);
        var expected = CrossEntropyMethod.RankByPrimary([.. seen.Select(s => s.F)]).Take(6).ToArray();
        Assert.Equal(expected, iteration.Elites);
        double cutoff = seen[iteration.Elites[^1]].F.Primary;
        Assert.All(seen.Where((_, i) => !iteration.Elites.Contains(i)), s => Assert.True(s.F.Primary <= cutoff));
        for (int j = 0; j < 3; j++)
        {
            double mean = iteration.Elites.Average(i => seen[i].X[j]);
            double std = Math.Sqrt(iteration.Elites.Average(i => (seen[i].X[j] - mean) * (seen[i].X[j] - mean)));
            Assert.Equal(mean, iteration.Mean[j], 12);
            Assert.Equal(std, iteration.Sigma[j], 12);
        }
    }

    [Fact]
    public void Elite_ranking_ignores_the_tie_break_but_the_best_uses_it()
    {
        var f = new CemFitness[] { new(0.5, -3), new(0.5, -1), new(0.7, -9), new(0.5, -2) };
        Assert.Equal([2, 0, 1, 3], CrossEntropyMethod.RankByPrimary(f));
        Assert.True(f[1].CompareTo(f[0], CemTieBreak.Secondary) > 0);
        Assert.Equal(0, f[1].CompareTo(f[0], CemTieBreak.None));
    }

    [Fact]
    public void Best_is_chosen_by_the_secondary_score_among_equal_primaries()
    {
        // Every candidate has the same primary score; only the tie-break −‖α − α*‖² separates them.
        static CemFitness Flat(double[] x) => new(0.5, -SquaredDistance(x, Target));
        var with = CrossEntropyMethod.Optimize(3, 3, Flat, new CemOptions { Iterations = 1, Seed = 5 });
        var without = CrossEntropyMethod.Optimize(3, 3, Flat, new CemOptions { Iterations = 1, Seed = 5, TieBreak = CemTieBreak.None });
        Assert.True(with.BestFitness.TieBreak > without.BestFitness.TieBreak);
        var rerun = new List<double[]>();
        CrossEntropyMethod.Optimize(3, 3, x => { rerun.Add(x); return Flat(x); }, new CemOptions { Iterations = 1, Seed = 5 });
        double bestTie = rerun.Max(x => -SquaredDistance(x, Target));
        Assert.Equal(bestTie, with.BestFitness.TieBreak);
        Assert.Equal(rerun[0], without.Best);   // no tie-break: the earliest candidate wins the full tie
    }

    [Fact]
    public void Same_seed_gives_the_same_trajectory_and_another_seed_does_not()
    {
        var a = CrossEntropyMethod.Optimize(3, 3, Objective, new CemOptions { Iterations = 8, Seed = 99 });
        var b = CrossEntropyMethod.Optimize(3, 3, Objective, new CemOptions { Iterations = 8, Seed = 99 });
        var c = CrossEntropyMethod.Optimize(3, 3, Objective, new CemOptions { Iterations = 8, Seed = 100 });
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(a.History[i].Mean, b.History[i].Mean);
            Assert.Equal(a.History[i].Sigma, b.History[i].Sigma);
            Assert.Equal(a.History[i].Best, b.History[i].Best);
        }
        Assert.NotEqual(a.History[0].Mean, c.History[0].Mean);
    }

    [Fact]
    public void Dev_check_runs_every_interval_and_keeps_the_best_dev_solution()
    {
        var checks = new List<double[]>();
        // The second check scores highest: its solution is kept although later iterations improve the objective.
        double Dev(double[] x)
        {
            checks.Add(x);
            return checks.Count == 2 ? 10 : -checks.Count;
        }
        var result = CrossEntropyMethod.Optimize(3, 3, Objective, new CemOptions { Iterations = 30, Seed = 1 }, Dev);
        Assert.Equal(3, checks.Count);
        Assert.Equal([9, 19, 29], result.History.Where(h => h.DevScore is not null).Select(h => h.Iteration));
        Assert.Equal(checks[1], result.BestDev);
        Assert.Equal(10, result.BestDevScore);
        Assert.Equal(result.BestDev, result.Selected);
        Assert.Equal(result.History[19].Best, result.BestDev);
    }

    [Fact]
    public void First_population_is_clamped_normal_samples_around_one_over_k_with_sigma_half_the_range()
    {
        var first = new List<double[]>();
        CrossEntropyMethod.Optimize(4, 4, x => { first.Add(x); return new CemFitness(0); }, new CemOptions { Iterations = 1, Seed = 2 });
        var rng = new ExpertMix.Tensors.Rng(2);
        for (int c = 0; c < 32; c++)
        {
            for (int j = 0; j < 4; j++) Assert.Equal(Math.Clamp(0.25 + 0.5 * rng.NextNormal(), 0, 1), first[c][j]);
        }
        Assert.Throws<ArgumentException>(() => CrossEntropyMethod.Optimize(2, 2, Objective, new CemOptions { Population = 1 }));
        Assert.Throws<ArgumentException>(() => CrossEntropyMethod.Optimize(0, 2, Objective, new CemOptions()));
    }
}

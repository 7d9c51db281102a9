// The cross-entropy method (CEM) of Transformer² §9.3 as a reusable, deterministic, gradient-free optimiser.
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>
/// Gradient-free maximisation of an objective f : [lo, hi]^D → (primary, tie-break) by the cross-entropy method, as the
/// Transformer² reference runs it (§9.3). With μ₀ = (1/K)·1 (or <see cref="CemOptions.InitialMean"/>),
/// σ₀ = (hi − lo)/2 · 1, each iteration i:
/// <list type="number">
/// <item>sample x_n = clamp(μ + σ ⊙ ε_n, lo, hi), ε_n ~ N(0, I), n = 0 … N−1; from the second iteration on, x_0 is
/// replaced by the incumbent best x*;</item>
/// <item>score every candidate, f_n = f(x_n) (with <see cref="CemOptions.ReEvaluateBest"/> = false the incumbent keeps
/// its stored score);</item>
/// <item>x* ← the best candidate, ranked lexicographically by (primary, tie-break) (<see cref="CemTieBreak"/>), earliest
/// index on full ties, so the incumbent survives ties;</item>
/// <item>elites = the top E = ⌊ρN⌋ candidates by the primary score only (stable: earlier index first on ties);</item>
/// <item>μ ← β·μ + (1 − β)·mean(elites), σ ← β·σ + (1 − β)·std(elites) per dimension (population std, as numpy);</item>
/// <item>every T iterations (T = <see cref="CemOptions.TestInterval"/>) the dev check scores x*; the highest dev score's
/// candidate is kept (the first one on ties).</item>
/// </list>
/// All randomness comes from one <see cref="Rng"/> seeded with <see cref="CemOptions.Seed"/>, drawn candidate-major, so a
/// seed fixes the trajectory for a deterministic objective.
/// </summary>
internal static class CrossEntropyMethod
{
    /// <summary>
    /// Maximises <paramref name="objective"/> over <paramref name="dimensions"/> coordinates. <paramref name="experts"/>
    /// is K in μ₀ = 1/K (for per-matrix mixtures D = K·M but μ₀ stays 1/K); it is unused when
    /// <see cref="CemOptions.InitialMean"/> is set. The objective receives a fresh array it may keep.
    /// </summary>
    /// <exception cref="ArgumentException">dimensions or experts &lt; 1, or invalid options.</exception>
    public static CemResult Optimize(int dimensions, int experts, Func<double[], CemFitness> objective, CemOptions options,
        Func<double[], double>? devCheck = null, Action<CemIteration>? onIteration = null)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (dimensions < 1) throw new ArgumentException($"CEM: dimensions {dimensions} must be ≥ 1", nameof(dimensions));
        if (experts < 1 && options.InitialMean is null) throw new ArgumentException($"CEM: experts {experts} must be ≥ 1 for μ₀ = 1/K", nameof(experts));
        int n = options.Population, e = options.EliteCount, d = dimensions;
        double lo = options.Lower, hi = options.Upper, beta = options.Ema;
        var mean = Enumerable.Repeat(Math.Clamp(options.InitialMean ?? 1.0 / experts, lo, hi), d).ToArray();
        var sigma = Enumerable.Repeat(options.InitialSigma ?? (hi - lo) / 2, d).ToArray();
        var rng = new Rng(options.Seed);
        double[]? best = null, bestDev = null;
        var bestFitness = default(CemFitness);
        double bestDevScore = double.NaN;
        var history = new List<CemIteration>(options.Iterations);
        int evaluations = 0;

        for (int it = 0; it < options.Iterations; it++)
        {
            var population = new double[n][];
            for (int c = 0; c < n; c++)
            {
                var x = new double[d];
                for (int j = 0; j < d; j++) x[j] = Math.Clamp(mean[j] + sigma[j] * rng.NextNormal(), lo, hi);
                population[c] = x;
            }
            var fitness = new CemFitness[n];
            int first = 0;
            if (best is not null)
            {
                population[0] = (double[])best.Clone();
                if (!options.ReEvaluateBest)
                {
                    fitness[0] = bestFitness;
                    first = 1;
                }
            }
            for (int c = first; c < n; c++)
            {
                fitness[c] = objective((double[])population[c].Clone());
                evaluations++;
            }

            int top = 0;
            for (int c = 1; c < n; c++)
            {
                if (fitness[c].CompareTo(fitness[top], options.TieBreak) > 0) top = c;
            }
            best = (double[])population[top].Clone();
            bestFitness = fitness[top];

            int[] elites = RankByPrimary(fitness).Take(e).ToArray();
            for (int j = 0; j < d; j++)
            {
                double m = 0;
                foreach (int c in elites) m += population[c][j];
                m /= e;
                double v = 0;
                foreach (int c in elites) v += (population[c][j] - m) * (population[c][j] - m);
                double s = Math.Sqrt(v / e);
                mean[j] = beta * mean[j] + (1 - beta) * m;
                sigma[j] = beta * sigma[j] + (1 - beta) * s;
            }

            double? dev = null;
            if (devCheck is not null && options.TestInterval > 0 && (it + 1) % options.TestInterval == 0)
            {
                double score = devCheck((double[])best.Clone());
                dev = score;
                if (bestDev is null || score > bestDevScore)
                {
                    bestDev = (double[])best.Clone();
                    bestDevScore = score;
                }
            }
            var record = new CemIteration(it, (double[])best.Clone(), bestFitness, (double[])mean.Clone(), (double[])sigma.Clone(), elites, dev);
            history.Add(record);
            onIteration?.Invoke(record);
        }
        return new CemResult(best!, bestFitness, bestDev, bestDevScore, history, evaluations);
    }

    /// <summary>Candidate indices by descending primary score, earlier index first on ties (NaN last).</summary>
    public static int[] RankByPrimary(IReadOnlyList<CemFitness> fitness)
    {
        ArgumentNullException.ThrowIfNull(fitness);
        return [.. Enumerable.Range(0, fitness.Count).OrderByDescending(c => double.IsNaN(fitness[c].Primary) ? double.NegativeInfinity : fitness[c].Primary).ThenBy(c => c)];
    }
}

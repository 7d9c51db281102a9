// Settings of the cross-entropy-method optimiser (Transformer² §9.3 defaults).
namespace ExpertMix.Adapters.Adaptation;

/// <summary>Whether the best candidate is chosen on the primary score alone or with the secondary score as a tie-break.</summary>
internal enum CemTieBreak
{
    /// <summary>Best = highest primary score (the earliest candidate on ties).</summary>
    None,

    /// <summary>Best = highest primary score, then highest tie-break score (the reference's <c>use_loglikelihood_for_ties</c>).</summary>
    Secondary,
}

/// <summary>
/// Settings of <see cref="CrossEntropyMethod"/>. Defaults are the Transformer² reference (§9.3): 32 candidates, elite
/// ratio 0.2 (⌊0.2·32⌋ = 6 elites), μ₀ = 1/K, σ₀ = (max − min)/2 = 0.5, bounds [0, 1], EMA 0, re-evaluated best,
/// log-likelihood tie-break, 50 iterations, a dev check every 10.
/// </summary>
internal sealed record CemOptions
{
    /// <summary>Candidates per iteration (N ≥ 2).</summary>
    public int Population { get; init; } = 32;

    /// <summary>Elite fraction ρ: E = max(1, ⌊ρ·N⌋) elites.</summary>
    public double EliteRatio { get; init; } = 0.2;

    /// <summary>Iterations.</summary>
    public int Iterations { get; init; } = 50;

    /// <summary>Lower bound of every coordinate (samples are clamped).</summary>
    public double Lower { get; init; }

    /// <summary>Upper bound of every coordinate (samples are clamped).</summary>
    public double Upper { get; init; } = 1;

    /// <summary>μ₀ for every coordinate; null = 1/K with K = <see cref="CrossEntropyMethod.Optimize"/>'s <c>groups</c> (the reference's uniform mixture).</summary>
    public double? InitialMean { get; init; }

    /// <summary>σ₀ for every coordinate; null = (Upper − Lower)/2.</summary>
    public double? InitialSigma { get; init; }

    /// <summary>EMA factor β of the update: μ ← β·μ + (1 − β)·mean(elites), σ likewise (reference <c>optim_ema</c> = 0).</summary>
    public double Ema { get; init; }

    /// <summary>
    /// Reference <c>re_eval_best</c>: true = the incumbent (candidate 0) is scored afresh each iteration and the best
    /// of the population replaces it; false = its stored score is kept and only a strictly better candidate replaces it.
    /// </summary>
    public bool ReEvaluateBest { get; init; } = true;

    /// <summary>How the best candidate is ranked (elites always use the primary score only).</summary>
    public CemTieBreak TieBreak { get; init; } = CemTieBreak.Secondary;

    /// <summary>Every this many iterations the best candidate goes to the dev check (≤ 0: never).</summary>
    public int TestInterval { get; init; } = 10;

    /// <summary>Seed of the optimiser's own <see cref="ExpertMix.Tensors.Rng"/>: the same seed and objective give the same trajectory.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>E = max(1, ⌊ρ·N⌋).</summary>
    public int EliteCount => Math.Max(1, (int)System.Math.Floor(EliteRatio * Population + 1e-9));

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range (the message names it).</exception>
    public CemOptions Validate()
    {
        if (Population < 2) throw new ArgumentException($"CEM: population {Population} must be ≥ 2");
        if (!(EliteRatio > 0 && EliteRatio <= 1)) throw new ArgumentException($"CEM: elite ratio {EliteRatio} must be in (0, 1]");
        if (Iterations < 1) throw new ArgumentException($"CEM: iterations {Iterations} must be ≥ 1");
        if (!(Lower < Upper)) throw new ArgumentException($"CEM: bounds [{Lower}, {Upper}] must satisfy lower < upper");
        if (InitialSigma is { } s && !(s >= 0)) throw new ArgumentException($"CEM: initial sigma {s} must be ≥ 0");
        if (!(Ema >= 0 && Ema < 1)) throw new ArgumentException($"CEM: EMA {Ema} must be in [0, 1)");
        return this;
    }
}

/// <summary>A candidate's score: <paramref name="Primary"/> (e.g. accuracy on the shots) and an optional <paramref name="TieBreak"/> (e.g. mean log-likelihood).</summary>
/// <param name="Primary">The main fitness (higher is better; NaN ranks lowest).</param>
/// <param name="TieBreak">Compared only when the primary values are equal and tie-breaking is on.</param>
internal readonly record struct CemFitness(double Primary, double TieBreak = 0)
{
    /// <summary>Lexicographic order under <paramref name="tieBreak"/>: primary first, then (if enabled) the tie-break; NaN ranks lowest.</summary>
    public int CompareTo(CemFitness other, CemTieBreak tieBreak)
    {
        int c = Key(Primary).CompareTo(Key(other.Primary));
        if (c != 0 || tieBreak == CemTieBreak.None) return c;
        return Key(TieBreak).CompareTo(Key(other.TieBreak));
    }

    private static double Key(double v) => double.IsNaN(v) ? double.NegativeInfinity : v;
}

/// <summary>One iteration of a CEM run (after its update).</summary>
/// <param name="Iteration">0-based iteration.</param>
/// <param name="Best">The incumbent best after the iteration.</param>
/// <param name="BestFitness">Its fitness.</param>
/// <param name="Mean">μ after the update.</param>
/// <param name="Sigma">σ after the update.</param>
/// <param name="Elites">Indices of the elites in this iteration's population, best first.</param>
/// <param name="DevScore">The dev check's score of <paramref name="Best"/> when this iteration ran one.</param>
internal sealed record CemIteration(int Iteration, double[] Best, CemFitness BestFitness, double[] Mean, double[] Sigma, int[] Elites, double? DevScore);

/// <summary>The outcome of <see cref="CrossEntropyMethod.Optimize"/>.</summary>
/// <param name="Best">The best candidate on the objective (the final incumbent).</param>
/// <param name="BestFitness">Its fitness.</param>
/// <param name="BestDev">The candidate with the highest dev score among the checked ones (null without checks).</param>
/// <param name="BestDevScore">Its dev score (NaN without checks).</param>
/// <param name="History">Every iteration.</param>
/// <param name="Evaluations">Objective calls made.</param>
internal sealed record CemResult(double[] Best, CemFitness BestFitness, double[]? BestDev, double BestDevScore, IReadOnlyList<CemIteration> History, int Evaluations)
{
    /// <summary>The solution to use: <see cref="BestDev"/> when a dev check ran, else <see cref="Best"/>.</summary>
    public double[] Selected => BestDev ?? Best;
}

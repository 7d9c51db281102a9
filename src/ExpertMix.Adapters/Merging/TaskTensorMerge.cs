// PEFT merge_utils (task_arithmetic, magnitude_prune, ties, dare_*) and mergekit's combine step and slerp on flat tensors.
using System.Runtime.CompilerServices;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// PEFT's <c>merge_utils</c> functions f over tensors X_i (same shape, flattened) with weights ω_i and density ρ,
/// accumulated in f64 and rounded once to f32.
/// </summary>
internal static class PeftMergeFunctions
{
    /// <summary><c>task_arithmetic</c>: Σ ω_i X_i.</summary>
    public static float[] TaskArithmetic(IReadOnlyList<float[]> xs, IReadOnlyList<double> weights) => WeightedSum(xs, weights);

    /// <summary><c>magnitude_prune</c>: each X_i keeps its top ⌊ρ·numel⌋ by |value|, then Σ ω_i X_i.</summary>
    public static float[] MagnitudePrune(IReadOnlyList<float[]> xs, IReadOnlyList<double> weights, double density)
        => WeightedSum(Prune(xs, density, Sparsifier.Magnitude, RescaleMode.None, null), weights);

    /// <summary>
    /// <c>ties</c>: magnitude-prune, elect a sign per entry from the unweighted pruned stack (total: sgn Σ X_i;
    /// frequency: sgn Σ sgn X_i; ≥ 0 elects +), mask_i = (sgn X_i == elected) (zeros never agree), then
    /// Σ ω_i X_i mask_i / max(1, Σ_i mask_i).
    /// </summary>
    public static float[] Ties(IReadOnlyList<float[]> xs, IReadOnlyList<double> weights, double density, SignElection election)
        => DisjointMerge(Prune(xs, density, Sparsifier.Magnitude, RescaleMode.None, null), weights, election);

    /// <summary><c>dare_linear</c>: X_i ⊙ Bernoulli(ρ) (rescaled, 1/ρ by default), then Σ ω_i X_i. One generator per tensor.</summary>
    public static float[] DareLinear(IReadOnlyList<float[]> xs, IReadOnlyList<double> weights, double density, IReadOnlyList<Rng> rngs,
        RescaleMode rescale = RescaleMode.InverseProb)
        => WeightedSum(Prune(xs, density, Sparsifier.Random, rescale, rngs), weights);

    /// <summary><c>dare_ties</c>: DARE pruning and rescale, then the ties election and disjoint merge.</summary>
    public static float[] DareTies(IReadOnlyList<float[]> xs, IReadOnlyList<double> weights, double density, SignElection election,
        IReadOnlyList<Rng> rngs, RescaleMode rescale = RescaleMode.InverseProb)
        => DisjointMerge(Prune(xs, density, Sparsifier.Random, rescale, rngs), weights, election);

    private static float[][] Prune(IReadOnlyList<float[]> xs, double density, Sparsifier method, RescaleMode rescale, IReadOnlyList<Rng>? rngs)
    {
        if (!(density >= 0)) throw new ArgumentException($"density should be ≥ 0, got {density}");
        var result = new float[xs.Count][];
        for (int i = 0; i < xs.Count; i++)
        {
            result[i] = Sparsification.Apply(xs[i], 1, xs[i].Length, method, density, rescale, rngs?[i]);
        }
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] WeightedSum(IReadOnlyList<float[]> list, IReadOnlyList<double> wlist)
    {
        Check(list, wlist);
        var xs = list.ToArray();
        var weights = wlist.ToArray();
        int n = xs[0].Length;
        var y = new float[n];
        for (int e = 0; e < n; e++)
        {
            double s = 0;
            for (int i = 0; i < xs.Length; i++) s += weights[i] * xs[i][e];
            y[e] = (float)s;
        }
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] DisjointMerge(IReadOnlyList<float[]> list, IReadOnlyList<double> wlist, SignElection election)
    {
        Check(list, wlist);
        var xs = list.ToArray();
        var weights = wlist.ToArray();
        int n = xs[0].Length;
        var y = new float[n];
        for (int e = 0; e < n; e++)
        {
            double vote = 0;
            for (int i = 0; i < xs.Length; i++) vote += election == SignElection.Total ? xs[i][e] : Math.Sign(xs[i][e]);
            int elected = vote >= 0 ? 1 : -1;
            double s = 0;
            int count = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                if (Math.Sign(xs[i][e]) != elected) continue;
                s += weights[i] * xs[i][e];
                count++;
            }
            y[e] = (float)(s / Math.Max(1, count));
        }
        return y;
    }

    internal static void Check(IReadOnlyList<float[]> xs, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(weights);
        if (xs.Count == 0 || xs.Count != weights.Count) throw new ArgumentException($"{xs.Count} tensors and {weights.Count} weights");
        if (xs.Any(x => x.Length != xs[0].Length)) throw new ArgumentException("tensors to merge differ in size");
    }
}

/// <summary>mergekit's generalized task arithmetic combine step and slerp on flat deltas.</summary>
internal static class MergekitFunctions
{
    /// <summary>
    /// Combines (already sparsified) deltas τ_i with weights w_i: τ'_i = w_i τ_i. With consensus, elect
    /// sgn Σ τ'_i (sum) or sgn Σ sgn τ'_i (count) (≥ 0 → +), mask_i = (sgn τ'_i == elected), mixed = Σ τ'_i mask_i,
    /// divisor = Σ w_i mask_i (0 → 1); without, mixed = Σ τ'_i, divisor = Σ w_i (|·| &lt; 1e-8 → 1). Then
    /// mixed /= divisor if normalising, and mixed *= λ. Computed in f32, 8 lanes at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Combine(IReadOnlyList<float[]> deltas, IReadOnlyList<double> weights, ConsensusMethod consensus,
        NormalizeMode normalize, double lambda)
    {
        PeftMergeFunctions.Check(deltas, weights);
        var xs = deltas.ToArray();
        var w = weights.Select(v => (float)v).ToArray();
        var y = new float[xs[0].Length];
        CombineKernel.Run(xs, 0, w, consensus, normalize == NormalizeMode.SumOfWeights, (float)lambda, y, 0, y.Length);
        return y;
    }

    /// <summary>
    /// Spherical interpolation of flat τ₁, τ₂ at t: d = ⟨τ̂₁, τ̂₂⟩ (normalised copies, norms ≤ 1e-8 left as is);
    /// if |d| &gt; 0.9995 the linear (1−t)τ₁ + tτ₂, else with θ = arccos d,
    /// sin((1−t)θ)/sin θ·τ₁ + sin(tθ)/sin θ·τ₂ on the unnormalised inputs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t)
    {
        if (a.Length != b.Length) throw new ArgumentException($"slerp: {a.Length} vs {b.Length} values");
        double na = Math.Sqrt(DenseKernels.SumSquares(a)), nb = Math.Sqrt(DenseKernels.SumSquares(b));
        double fa = na > 1e-8 ? 1 / na : 1, fb = nb > 1e-8 ? 1 / nb : 1;
        double dot = 0;
        for (int i = 0; i < a.Length; i++) dot += a[i] * fa * (b[i] * fb);
        double s0, s1;
        if (Math.Abs(dot) > 0.9995)
        {
            s0 = 1 - t;
            s1 = t;
        }
        else
        {
            double theta = Math.Acos(dot);
            double sinTheta = Math.Sin(theta);
            s0 = Math.Sin((1 - t) * theta) / sinTheta;
            s1 = Math.Sin(t * theta) / sinTheta;
        }
        var y = new float[a.Length];
        for (int i = 0; i < a.Length; i++) y[i] = (float)((s0 * a[i]) + (s1 * b[i]));
        return y;
    }
}

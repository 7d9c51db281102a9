// LoraHub-style few-shot composition of LoRA experts: a gradient-free search over per-expert weights with an L1 penalty.
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>
/// Settings of <see cref="LoraHubComposer"/>. LoraHub (sail-sg/lorahub, <c>lorahub_learning</c>) searches
/// w ∈ [−1.5, 1.5]^K from w₀ = 0 with Nevergrad's NGOpt under a budget of 40 evaluations (its example) and adds
/// 0.05 · Σ_i |w_i| / K. ExpertMix reuses its own <see cref="CrossEntropyMethod"/> instead of NGOpt (one deterministic,
/// dependency-free optimiser shared with Transformer²'s few-shot adaptation): defaults 10 candidates × 4 iterations = 40
/// evaluations, 3 elites, μ₀ = 0, σ₀ = 0.75.
/// </summary>
internal sealed record LoraHubOptions
{
    /// <summary>Lower bound of every weight (LoraHub: −1.5).</summary>
    public double Lower { get; init; } = -1.5;

    /// <summary>Upper bound of every weight (LoraHub: 1.5).</summary>
    public double Upper { get; init; } = 1.5;

    /// <summary>λ of the penalty λ·‖w‖₁/K (LoraHub's <c>default_l1_regularization</c>: 0.05 · mean |w_i|).</summary>
    public double L1 { get; init; } = 0.05;

    /// <summary>The search: CEM settings (bounds and μ₀ are taken from this record).</summary>
    public CemOptions Search { get; init; } = new() { Population = 10, EliteRatio = 0.3, Iterations = 4, InitialSigma = 0.75, TieBreak = CemTieBreak.None, TestInterval = 0 };

    /// <summary>The CEM options actually used: <see cref="Search"/> with Lower, Upper and μ₀ = 0.</summary>
    public CemOptions Resolved() => Search with { Lower = Lower, Upper = Upper, InitialMean = 0 };
}

/// <summary>The outcome of a LoraHub search.</summary>
/// <param name="Names">The adapters, in weight order.</param>
/// <param name="Weights">w*: the best weights found (left set on the host).</param>
/// <param name="Loss">L(w*): the mean next-token cross-entropy on the few-shot examples.</param>
/// <param name="Penalty">λ·‖w*‖₁/K.</param>
/// <param name="BaseLoss">L(0): the base model's loss on the examples.</param>
/// <param name="Search">The CEM run (fitness = −L(w) − λ‖w‖₁/K).</param>
internal sealed record LoraHubResult(IReadOnlyList<string> Names, double[] Weights, double Loss, double Penalty, double BaseLoss, CemResult Search);

/// <summary>
/// LoraHub-style composition: maximise f(w) = −L(w) − λ·‖w‖₁/K over w ∈ [lo, hi]^K, where L(w) is the
/// token-weighted mean next-token cross-entropy (<see cref="CausalLmLoss"/>) of the host's model on the few-shot
/// batches with adapter i at weight w_i (<see cref="LoraHost.SetWeight"/>), i.e. every target linear computes
/// y = W x + Σ_i w_i · s_i · B_i A_i x. LoraHub instead scales both factors (A = Σ w_i A_i, B = Σ w_i B_i, so cross
/// terms w_i w_j B_i A_j appear); the output-space sum used here is linear in w and needs no factor re-assembly.
/// </summary>
internal static class LoraHubComposer
{
    /// <summary>
    /// Searches the weights of <paramref name="adapters"/> (already added to <paramref name="host"/>) on
    /// <paramref name="examples"/> (not disposed; labels −100 where no loss is taken) and leaves w* set on the host.
    /// </summary>
    /// <exception cref="ArgumentException">No adapters or examples, or an adapter the host does not hold.</exception>
    /// <exception cref="InvalidOperationException">The host is merged.</exception>
    public static LoraHubResult Compose(LoraHost host, IReadOnlyList<string> adapters, IReadOnlyList<TrainingBatch> examples, LoraHubOptions options)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(options);
        if (adapters.Count == 0) throw new ArgumentException("LoraHub: no adapters to compose", nameof(adapters));
        if (examples.Count == 0) throw new ArgumentException("LoraHub: no few-shot examples", nameof(examples));
        if (host.IsMerged) throw new InvalidOperationException("LoraHub: unmerge the host before searching adapter weights");
        foreach (string a in adapters)
        {
            if (!host.Adapters.Any(x => x.Adapter.Name == a)) throw new ArgumentException($"LoraHub: the host has no adapter '{a}' (has: {string.Join(", ", host.Adapters.Select(x => x.Adapter.Name))})", nameof(adapters));
        }
        int k = adapters.Count;
        double baseLoss = Loss(host, adapters, new double[k], examples);
        var cem = options.Resolved();
        var run = CrossEntropyMethod.Optimize(k, k, w => new CemFitness(-Loss(host, adapters, w, examples) - Penalty(w, options.L1)), cem);
        double loss = Loss(host, adapters, run.Best, examples);
        return new LoraHubResult([.. adapters], run.Best, loss, Penalty(run.Best, options.L1), baseLoss, run);
    }

    /// <summary>λ·‖w‖₁/K (LoraHub's L1 term).</summary>
    public static double Penalty(ReadOnlySpan<double> weights, double l1)
    {
        if (weights.Length == 0) return 0;
        double s = 0;
        foreach (double w in weights) s += Math.Abs(w);
        return l1 * s / weights.Length;
    }

    /// <summary>
    /// Sets adapter i's weight to w_i and returns L(w) = Σ_b L_b·n_b / Σ_b n_b (L_b = the batch's mean next-token
    /// cross-entropy, n_b its loss tokens), under no-grad in eval mode.
    /// </summary>
    /// <exception cref="ArgumentException">weights and adapters differ in length.</exception>
    /// <exception cref="InvalidDataException">No batch has a loss token.</exception>
    public static double Loss(LoraHost host, IReadOnlyList<string> adapters, ReadOnlySpan<double> weights, IReadOnlyList<TrainingBatch> examples)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(examples);
        if (weights.Length != adapters.Count) throw new ArgumentException($"LoraHub: {weights.Length} weights for {adapters.Count} adapters", nameof(weights));
        for (int i = 0; i < adapters.Count; i++) host.SetWeight(adapters[i], (float)weights[i]);
        using var noGrad = Autograd.NoGrad();
        double total = 0;
        long tokens = 0;
        foreach (var batch in examples)
        {
            int n = batch.LossTokens;
            if (n == 0) continue;
            using var scope = TensorScope.Begin();
            total += CausalLmLoss.Compute(host.Model, batch, ForwardMode.Eval).Item() * n;   // [] mean over the batch's loss tokens
            tokens += n;
        }
        if (tokens == 0) throw new InvalidDataException("LoraHub: the few-shot examples have no loss tokens (all labels are −100)");
        return total / tokens;
    }
}

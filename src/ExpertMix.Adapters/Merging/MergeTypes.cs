// The LoRA composition methods and their option enums (docs/merging-and-orthogonality.md §3).
using ExpertMix.Adapters.Lora;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// A LoRA composition method. With adapters i = 1..k, weights w_i, ΔW_i = s_i·B_i·A_i and the target
/// T = Σ w_i ΔW_i per module. <c>Peft*</c> methods reproduce PEFT's <c>add_weighted_adapter</c>; the plain names
/// after <see cref="TaskArithmetic"/> are mergekit methods applied to the deltas τ_i = ΔW_i.
/// </summary>
public enum MergeMethod
{
    /// <summary>Naive summation: ΔW = T, dense, accumulated in f64 and rounded once to f32 (exact).</summary>
    DeltaSum,

    /// <summary>A_cat = [w_1 s_1 A_1; …], B_cat = [B_1 … B_k]: B_cat·A_cat = T exactly, rank Σ r_i (ranks may differ).</summary>
    Cat,

    /// <summary>A = Σ w_i s_i A_i, B = Σ B_i (equal ranks): ΔW = T + Σ_{i≠j} w_j s_j B_i A_j (cross terms).</summary>
    FactorSum,

    /// <summary>PEFT <c>linear</c>: A = Σ sgn(w_i s_i)√|w_i s_i| A_i, B = Σ √|w_i s_i| B_i (equal ranks).</summary>
    PeftLinear,

    /// <summary>PEFT <c>svd</c>: T (or PEFT's Σ w_i s_i² B_i A_i with <see cref="SvdScaling.PeftCompat"/>), then truncated SVD B = U_k S_k, A = Vh_k.</summary>
    PeftSvd,

    /// <summary>PEFT <c>ties</c> applied separately to {A_i} (weights a_i) and {B_i} (weights b_i).</summary>
    PeftTies,

    /// <summary>PEFT <c>dare_linear</c> in factor space.</summary>
    PeftDareLinear,

    /// <summary>PEFT <c>dare_ties</c> in factor space.</summary>
    PeftDareTies,

    /// <summary>PEFT <c>magnitude_prune</c> in factor space.</summary>
    PeftMagnitudePrune,

    /// <summary>PEFT <c>ties_svd</c>: ties on the dense deltas, then truncated SVD.</summary>
    PeftTiesSvd,

    /// <summary>PEFT <c>dare_linear_svd</c>.</summary>
    PeftDareLinearSvd,

    /// <summary>PEFT <c>dare_ties_svd</c>.</summary>
    PeftDareTiesSvd,

    /// <summary>PEFT <c>magnitude_prune_svd</c>.</summary>
    PeftMagnitudePruneSvd,

    /// <summary>mergekit <c>task_arithmetic</c>: λ·Σ w_i τ_i.</summary>
    TaskArithmetic,

    /// <summary>mergekit <c>ties</c>: magnitude sparsify, weighted sign consensus, normalise by Σ w_i mask_i.</summary>
    Ties,

    /// <summary>mergekit <c>dare_linear</c>: Bernoulli(ρ) sparsify with rescale, weighted sum.</summary>
    DareLinear,

    /// <summary>mergekit <c>dare_ties</c>: Bernoulli(ρ) sparsify with rescale, sign consensus.</summary>
    DareTies,

    /// <summary>mergekit <c>breadcrumbs</c>: drop the γN largest and the smallest entries, weighted sum.</summary>
    Breadcrumbs,

    /// <summary>mergekit <c>breadcrumbs_ties</c>: breadcrumbs sparsifier with sign consensus.</summary>
    BreadcrumbsTies,

    /// <summary>mergekit <c>della</c>: rank-dependent keep probability (ρ±ε), sign consensus, normalised.</summary>
    Della,

    /// <summary>mergekit <c>della_linear</c>: DELLA sparsifier, weighted sum.</summary>
    DellaLinear,

    /// <summary>mergekit <c>linear</c>: Σ w_i τ_i / Σ w_i (a weighted average).</summary>
    Linear,

    /// <summary>mergekit <c>slerp</c> of two adapters' deltas at t.</summary>
    Slerp,
}

/// <summary>PEFT's sign election (<c>majority_sign_method</c>) over the unweighted pruned stack.</summary>
public enum SignElection
{
    /// <summary><c>"total"</c>: sign of Σ X_i (a sum ≥ 0 elects +).</summary>
    Total,

    /// <summary><c>"frequency"</c>: sign of Σ sgn X_i.</summary>
    Frequency,
}

/// <summary>mergekit's sign consensus over the weighted deltas τ'_i = w_i τ_i.</summary>
public enum ConsensusMethod
{
    /// <summary>No consensus: mixed = Σ τ'_i, divisor = Σ w_i.</summary>
    None,

    /// <summary><c>"sum"</c>: elect sgn Σ τ'_i (≥ 0 → +).</summary>
    Sum,

    /// <summary><c>"count"</c>: elect sgn Σ sgn τ'_i.</summary>
    Count,
}

/// <summary>A per-tensor sparsifier (N = numel, ρ = density).</summary>
public enum Sparsifier
{
    /// <summary>Keep everything.</summary>
    None,

    /// <summary>Keep the top ⌊ρN⌋ entries by |value|.</summary>
    Magnitude,

    /// <summary>Keep each entry with probability ρ (Bernoulli).</summary>
    Random,

    /// <summary>Breadcrumbs: drop the n_top = ⌊γN⌋ largest and n_bot = N − ⌊ρN⌋ − n_top smallest |values|.</summary>
    MagnitudeOutliers,

    /// <summary>DELLA: keep with p = (ρ−ε) + 2ε·u, u = normalised ascending |value| rank per row.</summary>
    DellaMagprune,
}

/// <summary>How a randomly or magnitude-sparsified tensor is rescaled.</summary>
public enum RescaleMode
{
    /// <summary>No rescale.</summary>
    None,

    /// <summary>Divide each kept entry by its keep probability (1/ρ for DARE and PEFT, 1/p_i for DELLA): unbiased.</summary>
    InverseProb,

    /// <summary>mergekit: multiply by ‖τ‖₁/‖τ⊙mask‖₁ (skipped when either norm is below 1e-7).</summary>
    L1,
}

/// <summary>Whether the combined tensor is divided by the (masked) sum of weights.</summary>
public enum NormalizeMode
{
    /// <summary>Leave the combination as is.</summary>
    None,

    /// <summary>Divide by Σ w_i (mask_i) (mergekit <c>normalize: true</c>).</summary>
    SumOfWeights,
}

/// <summary>Which target PEFT's dense (<c>*_svd</c>) branch compresses.</summary>
public enum SvdScaling
{
    /// <summary>f over ΔW_i with weights w_i: the target is T = Σ w_i s_i B_i A_i.</summary>
    Exact,

    /// <summary>PEFT's quirk: f over ΔW_i (already scaled) with weights w_i s_i, so the target is Σ w_i s_i² B_i A_i.</summary>
    PeftCompat,
}

/// <summary>One adapter in a composition with its weight w (may be negative) and an optional per-adapter density ρ_i.</summary>
/// <param name="Adapter">The adapter (not modified, not owned).</param>
/// <param name="Weight">w_i.</param>
/// <param name="Density">ρ_i for mergekit sparsifiers; null uses <see cref="MergeOptions.Density"/>.</param>
public sealed record MergeInput(LoraAdapter Adapter, float Weight, double? Density = null);

// Options of a LoRA composition, with the per-method defaults of docs/merging-and-orthogonality.md §3.4.
namespace ExpertMix.Adapters.Merging;

/// <summary>
/// Options of <see cref="LoraMerger.Merge"/>. Null members take the method's default (see
/// <see cref="MergeMethodInfo"/>): mergekit <c>ties</c> normalises and elects by weighted sum, DARE/DELLA rescale by
/// L1-norm matching, PEFT DARE rescales by 1/ρ.
/// </summary>
public sealed record MergeOptions
{
    /// <summary>ρ: fraction of entries kept by sparsifiers (ρ ≥ 1: no pruning; ρ &lt; 0 is an error). Default 1.</summary>
    public double Density { get; init; } = 1;

    /// <summary>λ: the mergekit result is multiplied by λ (default 1).</summary>
    public double Lambda { get; init; } = 1;

    /// <summary>ε of DELLA: keep probability ranges over [ρ−ε, ρ+ε] (default 0.15).</summary>
    public double Epsilon { get; init; } = 0.15;

    /// <summary>γ of breadcrumbs: the fraction of largest-|value| entries dropped (default 0.01).</summary>
    public double Gamma { get; init; } = 0.01;

    /// <summary>mergekit sign consensus override (null: method default).</summary>
    public ConsensusMethod? Consensus { get; init; }

    /// <summary>Sparsifier override (null: method default).</summary>
    public Sparsifier? Sparsifier { get; init; }

    /// <summary>Normalisation override for mergekit methods (null: method default).</summary>
    public NormalizeMode? Normalize { get; init; }

    /// <summary>Rescale override (null: method default — L1 for mergekit DARE/DELLA, 1/ρ for PEFT DARE, none otherwise).</summary>
    public RescaleMode? Rescale { get; init; }

    /// <summary>PEFT sign election for <c>ties</c>/<c>dare_ties</c> (default total).</summary>
    public SignElection SignElection { get; init; } = SignElection.Total;

    /// <summary>PEFT <c>svd_rank</c>: output rank of the SVD methods (null: max r_i over all inputs).</summary>
    public int? SvdRank { get; init; }

    /// <summary>PEFT <c>svd_clamp</c> q: clamp B and A to ±quantile_q(concat(vec B, vec A)) (null: no clamp).</summary>
    public double? SvdClamp { get; init; }

    /// <summary>Target of the PEFT SVD methods (default <see cref="SvdScaling.Exact"/>).</summary>
    public SvdScaling SvdScaling { get; init; } = SvdScaling.Exact;

    /// <summary>Seed of the random masks; each mask is seeded by (seed, module path, adapter index).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>t of <see cref="MergeMethod.Slerp"/> in [0, 1] (default 0.5).</summary>
    public double SlerpT { get; init; } = 0.5;

    /// <summary>Name of an output adapter.</summary>
    public string Name { get; init; } = "merged";

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A negative or non-finite density, ε/γ outside [0, 1), t outside [0, 1], svd_rank &lt; 1, clamp outside [0, 1].</exception>
    public MergeOptions Validate()
    {
        if (!(Density >= 0) || !double.IsFinite(Density)) throw new ArgumentException($"density must be ≥ 0 and finite (got {Density})");
        if (!double.IsFinite(Lambda)) throw new ArgumentException($"lambda must be finite (got {Lambda})");
        if (Epsilon is < 0 or >= 1 || double.IsNaN(Epsilon)) throw new ArgumentException($"epsilon must be in [0, 1) (got {Epsilon})");
        if (Gamma is < 0 or >= 1 || double.IsNaN(Gamma)) throw new ArgumentException($"gamma must be in [0, 1) (got {Gamma})");
        if (SlerpT is < 0 or > 1 || double.IsNaN(SlerpT)) throw new ArgumentException($"slerp t must be in [0, 1] (got {SlerpT})");
        if (SvdRank is < 1) throw new ArgumentException($"svd_rank must be ≥ 1 (got {SvdRank})");
        if (SvdClamp is { } q && (q is < 0 or > 1 || double.IsNaN(q))) throw new ArgumentException($"svd_clamp must be a quantile in [0, 1] (got {q})");
        return this;
    }
}

/// <summary>The resolved settings of a mergekit-style generalized task arithmetic run.</summary>
/// <param name="Sparsifier">Per-delta sparsifier.</param>
/// <param name="Consensus">Sign consensus.</param>
/// <param name="Normalize">Whether to divide by the (masked) weight sum.</param>
/// <param name="Rescale">Rescale of sparsified deltas.</param>
internal sealed record GtaSettings(Sparsifier Sparsifier, ConsensusMethod Consensus, NormalizeMode Normalize, RescaleMode Rescale);

/// <summary>Method names (as PEFT / mergekit spell them) and the defaults table of §3.4.</summary>
internal static class MergeMethodInfo
{
    private static readonly (MergeMethod Method, string Name)[] Names =
    [
        (MergeMethod.DeltaSum, "delta-sum"), (MergeMethod.Cat, "cat"), (MergeMethod.FactorSum, "factor-sum"),
        (MergeMethod.PeftLinear, "peft-linear"), (MergeMethod.PeftSvd, "peft-svd"), (MergeMethod.PeftTies, "peft-ties"),
        (MergeMethod.PeftDareLinear, "peft-dare-linear"), (MergeMethod.PeftDareTies, "peft-dare-ties"),
        (MergeMethod.PeftMagnitudePrune, "peft-magnitude-prune"), (MergeMethod.PeftTiesSvd, "peft-ties-svd"),
        (MergeMethod.PeftDareLinearSvd, "peft-dare-linear-svd"), (MergeMethod.PeftDareTiesSvd, "peft-dare-ties-svd"),
        (MergeMethod.PeftMagnitudePruneSvd, "peft-magnitude-prune-svd"), (MergeMethod.TaskArithmetic, "task-arithmetic"),
        (MergeMethod.Ties, "ties"), (MergeMethod.DareLinear, "dare-linear"), (MergeMethod.DareTies, "dare-ties"),
        (MergeMethod.Breadcrumbs, "breadcrumbs"), (MergeMethod.BreadcrumbsTies, "breadcrumbs-ties"),
        (MergeMethod.Della, "della"), (MergeMethod.DellaLinear, "della-linear"), (MergeMethod.Linear, "linear"),
        (MergeMethod.Slerp, "slerp"),
    ];

    /// <summary>The kebab-case name, e.g. <c>delta-sum</c>, <c>peft-ties-svd</c>, <c>dare-ties</c>.</summary>
    public static string NameOf(MergeMethod method) => Names.First(n => n.Method == method).Name;

    /// <summary>Parses a kebab-case or snake_case name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static MergeMethod Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Trim().Replace('_', '-').ToLowerInvariant();
        foreach (var (m, s) in Names)
        {
            if (s == n) return m;
        }
        throw new ArgumentException($"unknown merge method '{name}'; expected one of {string.Join(", ", Names.Select(x => x.Name))}");
    }

    /// <summary>Whether the method produces a factorised adapter (else dense per-module deltas).</summary>
    public static bool ProducesAdapter(MergeMethod method) => method <= MergeMethod.PeftMagnitudePruneSvd && method != MergeMethod.DeltaSum;

    /// <summary>Whether the method is one of PEFT's <c>add_weighted_adapter</c> combinations.</summary>
    public static bool IsPeft(MergeMethod method) => method is >= MergeMethod.PeftLinear and <= MergeMethod.PeftMagnitudePruneSvd;

    /// <summary>Whether the method prunes (so a single adapter need not reproduce itself).</summary>
    public static bool Sparsifies(MergeMethod method, MergeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return method switch
        {
            MergeMethod.PeftTies or MergeMethod.PeftDareLinear or MergeMethod.PeftDareTies or MergeMethod.PeftMagnitudePrune
                or MergeMethod.PeftTiesSvd or MergeMethod.PeftDareLinearSvd or MergeMethod.PeftDareTiesSvd or MergeMethod.PeftMagnitudePruneSvd
                => options.Density < 1,
            >= MergeMethod.TaskArithmetic and <= MergeMethod.Linear => ResolveGta(method, options).Sparsifier != Sparsifier.None && options.Density < 1,
            _ => false,
        };
    }

    /// <summary>
    /// The mergekit settings for <paramref name="method"/> after overrides in <paramref name="options"/>. Defaults:
    /// task_arithmetic (none, none, off, none); ties (magnitude, sum, on, none); dare_linear (random, none, off, L1);
    /// dare_ties (random, sum, off, L1); breadcrumbs (outliers, none, off, none); breadcrumbs_ties (outliers, sum, off,
    /// none); della (della, sum, on, L1); della_linear (della, none, off, L1); linear (none, none, on, none).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="method"/> is not a mergekit task-arithmetic method.</exception>
    public static GtaSettings ResolveGta(MergeMethod method, MergeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var d = method switch
        {
            MergeMethod.TaskArithmetic => new GtaSettings(Sparsifier.None, ConsensusMethod.None, NormalizeMode.None, RescaleMode.None),
            MergeMethod.Ties => new GtaSettings(Sparsifier.Magnitude, ConsensusMethod.Sum, NormalizeMode.SumOfWeights, RescaleMode.None),
            MergeMethod.DareLinear => new GtaSettings(Sparsifier.Random, ConsensusMethod.None, NormalizeMode.None, RescaleMode.L1),
            MergeMethod.DareTies => new GtaSettings(Sparsifier.Random, ConsensusMethod.Sum, NormalizeMode.None, RescaleMode.L1),
            MergeMethod.Breadcrumbs => new GtaSettings(Sparsifier.MagnitudeOutliers, ConsensusMethod.None, NormalizeMode.None, RescaleMode.None),
            MergeMethod.BreadcrumbsTies => new GtaSettings(Sparsifier.MagnitudeOutliers, ConsensusMethod.Sum, NormalizeMode.None, RescaleMode.None),
            MergeMethod.Della => new GtaSettings(Sparsifier.DellaMagprune, ConsensusMethod.Sum, NormalizeMode.SumOfWeights, RescaleMode.L1),
            MergeMethod.DellaLinear => new GtaSettings(Sparsifier.DellaMagprune, ConsensusMethod.None, NormalizeMode.None, RescaleMode.L1),
            MergeMethod.Linear => new GtaSettings(Sparsifier.None, ConsensusMethod.None, NormalizeMode.SumOfWeights, RescaleMode.None),
            _ => throw new ArgumentException($"{NameOf(method)} is not a mergekit task-arithmetic method"),
        };
        return new GtaSettings(options.Sparsifier ?? d.Sparsifier, options.Consensus ?? d.Consensus, options.Normalize ?? d.Normalize, options.Rescale ?? d.Rescale);
    }
}

// Result records of the LoRA orthogonality analysis (docs/merging-and-orthogonality.md §5).
namespace ExpertMix.Adapters.Analysis;

/// <summary>Pairwise metrics of one module ℓ that both adapters target.</summary>
/// <param name="ModulePath">HF module path.</param>
/// <param name="OutFeatures">m = out.</param>
/// <param name="InFeatures">n = in.</param>
/// <param name="Inner">⟨w_iΔW_i, w_jΔW_j⟩_F = w_i w_j s_i s_j tr((B_iᵀB_j)(A_jA_iᵀ)).</param>
/// <param name="NormI">‖ΔW_i‖_F (unweighted).</param>
/// <param name="NormJ">‖ΔW_j‖_F (unweighted).</param>
/// <param name="Cosine">cos_ℓ = Inner / (|w_i|‖ΔW_i‖·|w_j|‖ΔW_j‖) (0 when a delta is 0); a negative weight flips the sign.</param>
/// <param name="RawParameterCosine">cos of [vec A_i; vec B_i] and [vec A_j; vec B_j] (null when ranks differ); gauge-dependent.</param>
/// <param name="ColumnSpaceOverlap">‖Q_iᵀQ_j‖_F²/min(r_i, r_j) for orthonormal bases of col(B_i), col(B_j): mean cos² of the principal angles.</param>
/// <param name="RowSpaceOverlap">The same for row(A_i), row(A_j).</param>
/// <param name="MaxColumnCosine">Largest principal cosine between col(B_i) and col(B_j).</param>
/// <param name="MaxRowCosine">Largest principal cosine between row(A_i) and row(A_j).</param>
/// <param name="ActivationCosine">⟨ΔW_iX, ΔW_jX⟩/(‖ΔW_iX‖‖ΔW_jX‖) on the module's probe inputs, or null without probes.</param>
/// <param name="RandomFloor">E|cos| of independent random m×n deltas: √(2/π)/√(mn).</param>
public sealed record ModuleOrthogonality(
    string ModulePath, int OutFeatures, int InFeatures, double Inner, double NormI, double NormJ, double Cosine, double? RawParameterCosine,
    double ColumnSpaceOverlap, double RowSpaceOverlap, double MaxColumnCosine, double MaxRowCosine, double? ActivationCosine, double RandomFloor)
{
    /// <summary>|cos_ℓ| / random floor.</summary>
    public double CosineToFloor => RandomFloor > 0 ? Math.Abs(Cosine) / RandomFloor : double.NaN;
}

/// <summary>Orthogonality of adapters i and j over the L modules both target.</summary>
/// <param name="AdapterI">Name of i.</param>
/// <param name="AdapterJ">Name of j.</param>
/// <param name="CommonModules">L.</param>
/// <param name="RmsCosine">Primary: sqrt((1/L) Σ_ℓ cos_ℓ²), in [0, 1], sign-insensitive.</param>
/// <param name="GlobalCosine">Σ_ℓ⟨ΔW_i,ΔW_j⟩ / sqrt(Σ_ℓ‖ΔW_i‖²·Σ_ℓ‖ΔW_j‖²) (norm-weighted, signed).</param>
/// <param name="MeanSignedCosine">(1/L) Σ_ℓ cos_ℓ (detects anti-alignment).</param>
/// <param name="RawParameterCosine">Cosine of the concatenated raw factors [vec A; vec B] over common modules of equal rank (not gauge invariant), or null.</param>
/// <param name="MeanColumnSpaceOverlap">Mean over ℓ of ‖Q_iᵀQ_j‖_F²/min(r_i,r_j) for col(B).</param>
/// <param name="MeanRowSpaceOverlap">The same for row(A).</param>
/// <param name="ActivationRmsCosine">RMS over probed modules of the activation cosine, or null without probes.</param>
/// <param name="RandomFloor">sqrt((1/L) Σ_ℓ floor_ℓ²), floor_ℓ = √(2/π)/√(m_ℓ n_ℓ).</param>
/// <param name="Modules">Per-module metrics, by path.</param>
public sealed record PairOrthogonality(
    string AdapterI, string AdapterJ, int CommonModules, double RmsCosine, double GlobalCosine, double MeanSignedCosine, double? RawParameterCosine,
    double MeanColumnSpaceOverlap, double MeanRowSpaceOverlap, double? ActivationRmsCosine, double RandomFloor, IReadOnlyList<ModuleOrthogonality> Modules)
{
    /// <summary>RMS cosine / random floor.</summary>
    public double RmsToFloor => RandomFloor > 0 ? RmsCosine / RandomFloor : double.NaN;

    /// <summary>|global cosine| / random floor.</summary>
    public double GlobalToFloor => RandomFloor > 0 ? Math.Abs(GlobalCosine) / RandomFloor : double.NaN;

    /// <summary>|mean signed cosine| / random floor.</summary>
    public double MeanSignedToFloor => RandomFloor > 0 ? Math.Abs(MeanSignedCosine) / RandomFloor : double.NaN;

    /// <summary>|raw-parameter cosine| / random floor, or null.</summary>
    public double? RawParameterToFloor => RawParameterCosine is { } r && RandomFloor > 0 ? Math.Abs(r) / RandomFloor : null;
}

/// <summary>All pairwise results for N adapters; the diagonal compares each adapter with itself.</summary>
public sealed class OrthogonalityMatrix
{
    private readonly PairOrthogonality[,] _pairs;

    internal OrthogonalityMatrix(IReadOnlyList<string> names, PairOrthogonality[,] pairs)
    {
        Names = names;
        _pairs = pairs;
    }

    /// <summary>Adapter names in input order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>N.</summary>
    public int Count => Names.Count;

    /// <summary>The pair (i, j) (symmetric; (i, i) is the self-comparison).</summary>
    public PairOrthogonality this[int i, int j] => _pairs[i, j];

    /// <summary>N×N RMS cosines.</summary>
    public double[,] RmsCosine => Map(p => p.RmsCosine);

    /// <summary>N×N global cosines.</summary>
    public double[,] GlobalCosine => Map(p => p.GlobalCosine);

    /// <summary>N×N mean signed cosines.</summary>
    public double[,] MeanSignedCosine => Map(p => p.MeanSignedCosine);

    private double[,] Map(Func<PairOrthogonality, double> f)
    {
        int n = Count;
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) m[i, j] = f(_pairs[i, j]);
        }
        return m;
    }
}

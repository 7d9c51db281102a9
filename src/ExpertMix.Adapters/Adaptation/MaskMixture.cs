// Transformer² §9.3's mixture of SVF experts in mask space, over plain arrays (the SVF core applies the result).
namespace ExpertMix.Adapters.Adaptation;

/// <summary>Whether mixture coefficients are shared by every matrix or chosen per matrix.</summary>
public enum MixtureScope
{
    /// <summary>α has K entries, one per expert, used for every matrix (<c>per_layer = false</c>).</summary>
    Global,

    /// <summary>α is K × M row-major, α[k·M + m] for expert k and matrix m (<c>per_layer = true</c>, the reference script).</summary>
    PerMatrix,
}

/// <summary>
/// Mixes SVF experts in mask space (spec §9.3): for matrix m with raw expert vectors p_{k,m} [r_m],
/// z'_m = Σ_k α_{k,m} · sigmoid(p_{k,m}), sigmoid(x) = 1/(1 + e^{−x}). The result is a mask z (post-sigmoid), to which
/// the SVF composition then applies §4 step 3 (nuclear-norm renormalisation c = Σσ / Σσ⊙z'); hence only the ratios
/// within z'_m matter and <c>norm_coeffs = false</c> (α is not normalised). A base-weights "expert" (soft dispatch's
/// <c>other</c>) is any constant mask, e.g. <see cref="ConstantMask"/>, which alone gives W' = W.
/// </summary>
internal static class MaskMixture
{
    /// <summary>sigmoid(x) = 1/(1 + e^{−x}) in double, rounded to float.</summary>
    public static float Sigmoid(float x) => (float)(1.0 / (1.0 + Math.Exp(-(double)x)));

    /// <summary>z' = Σ_k α_k · sigmoid(p_k) for one matrix; every p_k has the same length r.</summary>
    /// <exception cref="ArgumentException">No experts, α's length ≠ K, or the p_k differ in length.</exception>
    public static float[] Mix(IReadOnlyList<float[]> expertLogits, ReadOnlySpan<double> alpha)
    {
        ArgumentNullException.ThrowIfNull(expertLogits);
        if (expertLogits.Count == 0) throw new ArgumentException("MaskMixture: no experts to mix", nameof(expertLogits));
        if (alpha.Length != expertLogits.Count) throw new ArgumentException($"MaskMixture: {alpha.Length} coefficients for {expertLogits.Count} experts", nameof(alpha));
        int r = expertLogits[0].Length;
        var z = new double[r];
        for (int k = 0; k < expertLogits.Count; k++)
        {
            var p = expertLogits[k];
            if (p.Length != r) throw new ArgumentException($"MaskMixture: expert {k} has {p.Length} values, expert 0 has {r}", nameof(expertLogits));
            for (int i = 0; i < r; i++) z[i] += alpha[k] * (1.0 / (1.0 + Math.Exp(-(double)p[i])));
        }
        return [.. z.Select(v => (float)v)];
    }

    /// <summary>
    /// z'_m for every matrix m: <paramref name="experts"/>[k][m] is p_{k,m}; α is K (<see cref="MixtureScope.Global"/>)
    /// or K·M (<see cref="MixtureScope.PerMatrix"/>, α[k·M + m]). Returns M masks.
    /// </summary>
    /// <exception cref="ArgumentException">No experts, experts with different matrix counts or lengths, or α of the wrong length for the scope.</exception>
    public static float[][] MixAll(IReadOnlyList<IReadOnlyList<float[]>> experts, ReadOnlySpan<double> alpha, MixtureScope scope)
    {
        ArgumentNullException.ThrowIfNull(experts);
        int k = experts.Count;
        if (k == 0) throw new ArgumentException("MaskMixture: no experts to mix", nameof(experts));
        int m = experts[0].Count;
        for (int i = 1; i < k; i++)
        {
            if (experts[i].Count != m) throw new ArgumentException($"MaskMixture: expert {i} has {experts[i].Count} matrices, expert 0 has {m}", nameof(experts));
        }
        int expected = scope == MixtureScope.Global ? k : k * m;
        if (alpha.Length != expected) throw new ArgumentException($"MaskMixture: {scope} mixing of {k} experts × {m} matrices needs {expected} coefficients, got {alpha.Length}", nameof(alpha));
        var result = new float[m][];
        var a = new double[k];
        for (int j = 0; j < m; j++)
        {
            for (int i = 0; i < k; i++) a[i] = scope == MixtureScope.Global ? alpha[i] : alpha[i * m + j];
            var column = new float[k][];
            for (int i = 0; i < k; i++) column[i] = experts[i][j];
            try
            {
                result[j] = Mix(column, a);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"MaskMixture: matrix {j}: {ex.Message}", nameof(experts), ex);
            }
        }
        return result;
    }

    /// <summary>Number of α coordinates for K experts and M matrices: K (global) or K·M (per matrix).</summary>
    public static int Dimensions(int experts, int matrices, MixtureScope scope) => scope == MixtureScope.Global ? experts : experts * matrices;

    /// <summary>A constant mask of length r (every entry <paramref name="value"/> &gt; 0): after renormalisation it yields the base weights.</summary>
    public static float[] ConstantMask(int length, float value = 1f) => Enumerable.Repeat(value, length).ToArray();
}

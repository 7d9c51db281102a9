// The SVF formulas of the spec (§4 composition, §6 closed-form gradient), in f32 for the runtime and f64 for checks.
using System.Buffers;
using System.Numerics.Tensors;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Adapters.Svf;

/// <summary>
/// Singular-value fine-tuning arithmetic for one matrix W = U diag(σ) Vᵀ (U [m, r], V [n, r] row-major, σ [r]):
/// z = max_mult·sigmoid(p); s' = σ ⊙ z; c = Σσ / Σs' (nuclear-norm renormalisation); W' = c·U diag(s') Vᵀ.
/// The gradient to p from G = ∂L/∂W' is closed-form (spec §6): g_i = c·u_iᵀ G v_i,
/// ∂L/∂s'_i = g_i − (Σ_j s'_j g_j)/T with T = Σ_j s'_j, ∂L/∂z_i = σ_i·∂L/∂s'_i, ∂L/∂p_i = ∂L/∂z_i · z_i(1 − z_i/max_mult).
/// </summary>
internal static class SvfMath
{
    /// <summary>z_i = maxMult·sigmoid(p_i) into <paramref name="z"/> [r]; z ∈ (0, maxMult).</summary>
    public static void Mask(ReadOnlySpan<float> p, float maxMult, Span<float> z)
    {
        if (z.Length != p.Length) throw new ArgumentException($"SVF mask: p has {p.Length} entries but z {z.Length}");
        for (int i = 0; i < p.Length; i++) z[i] = (float)(maxMult / (1 + Math.Exp(-p[i])));
    }

    /// <summary>c = Σσ / Σ(σ ⊙ z) in f64 (1 when Σσ = 0).</summary>
    /// <exception cref="ArgumentException">Σ σ ⊙ z ≤ 0 while Σσ &gt; 0 (z must be positive).</exception>
    public static double Renormalisation(ReadOnlySpan<float> sigma, ReadOnlySpan<float> z)
    {
        double total = 0, scaled = 0;
        for (int i = 0; i < sigma.Length; i++)
        {
            total += sigma[i];
            scaled += (double)sigma[i] * z[i];
        }
        if (total == 0) return 1;
        if (!(scaled > 0)) throw new ArgumentException($"SVF: Σσ⊙z = {scaled} must be > 0 (z must be positive)");
        return total / scaled;
    }

    /// <summary>
    /// W' = c·U diag(σ ⊙ z) Vᵀ [m, n] into <paramref name="output"/> in f32: the columns of U are scaled by c·σ_i·z_i
    /// and one GEMM (multi-threaded <see cref="Gemm.Sgemm(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float}, long, ReadOnlySpan{float}, long, float, Span{float}, long)"/>)
    /// forms the product.
    /// </summary>
    public static void Compose(ReadOnlySpan<float> u, ReadOnlySpan<float> sigma, ReadOnlySpan<float> v, ReadOnlySpan<float> z, int m, int n, Span<float> output)
    {
        int r = sigma.Length;
        if (u.Length != m * r || v.Length != n * r || z.Length != r || output.Length != m * n)
        {
            throw new ArgumentException($"SVF compose: U {u.Length}, V {v.Length}, z {z.Length}, W' {output.Length} values do not fit m={m}, n={n}, r={r}");
        }
        double c = Renormalisation(sigma, z);
        var scale = new float[r];                                           // c·σ_i·z_i [r]
        for (int i = 0; i < r; i++) scale[i] = (float)(c * sigma[i] * z[i]);
        var us = ArrayPool<float>.Shared.Rent(m * r);                       // U diag(scale) [m, r]
        try
        {
            for (int row = 0; row < m; row++) TensorPrimitives.Multiply(u.Slice(row * r, r), scale, us.AsSpan(row * r, r));
            Gemm.Sgemm(Transpose.No, Transpose.Yes, m, n, r, 1f, us.AsSpan(0, m * r), r, v, r, 0f, output, n);   // [m, r]·[n, r]ᵀ = [m, n]
        }
        finally
        {
            ArrayPool<float>.Shared.Return(us);
        }
    }

    /// <summary>h_i = u_iᵀ G v_i [r] for G [m, n] (one GEMM G·V [m, r], then column-wise dots with U accumulated in f64).</summary>
    public static double[] Projections(ReadOnlySpan<float> u, ReadOnlySpan<float> v, ReadOnlySpan<float> g, int m, int n, int r)
    {
        if (u.Length != m * r || v.Length != n * r || g.Length != m * n) throw new ArgumentException($"SVF gradient: U {u.Length}, V {v.Length}, G {g.Length} values do not fit m={m}, n={n}, r={r}");
        var gv = new float[m * r];                                          // G·V [m, r]
        Gemm.Sgemm(Transpose.No, Transpose.No, m, r, n, 1f, g, n, v, r, 0f, gv, r);
        var h = new double[r];
        for (int row = 0; row < m; row++)
        {
            var ur = u.Slice(row * r, r);
            var gr = gv.AsSpan(row * r, r);
            for (int i = 0; i < r; i++) h[i] += (double)ur[i] * gr[i];
        }
        return h;
    }

    /// <summary>
    /// ∂L/∂p [r] from h_i = u_iᵀ G v_i (see <see cref="Projections"/>) in f64: with z = maxMult·sigmoid(p),
    /// s' = σ⊙z, T = Σs', c = Σσ/T, g = c·h: ∂L/∂s' = g − (s'·g)/T; ∂L/∂p = σ ⊙ ∂L/∂s' ⊙ z ⊙ (1 − z/maxMult).
    /// </summary>
    public static double[] GradientToP(ReadOnlySpan<double> h, ReadOnlySpan<double> sigma, ReadOnlySpan<double> p, double maxMult)
    {
        int r = sigma.Length;
        if (h.Length != r || p.Length != r) throw new ArgumentException($"SVF gradient: h {h.Length}, σ {r}, p {p.Length} entries must agree");
        var z = new double[r];
        double total = 0, t = 0;
        for (int i = 0; i < r; i++)
        {
            z[i] = maxMult / (1 + Math.Exp(-p[i]));
            total += sigma[i];
            t += sigma[i] * z[i];
        }
        double c = total == 0 ? 1 : total / t;
        double sg = 0;
        for (int i = 0; i < r; i++) sg += sigma[i] * z[i] * c * h[i];
        var dp = new double[r];
        for (int i = 0; i < r; i++)
        {
            double ds = (c * h[i]) - (total == 0 ? 0 : sg / t);
            dp[i] = sigma[i] * ds * z[i] * (1 - (z[i] / maxMult));
        }
        return dp;
    }

    /// <summary>W' = c·U diag(σ⊙z) Vᵀ [m, n] entirely in f64 with z = maxMult·sigmoid(p) (reference for checks and conversions).</summary>
    public static double[] ComposeReference(ReadOnlySpan<double> u, ReadOnlySpan<double> sigma, ReadOnlySpan<double> v, ReadOnlySpan<double> p, double maxMult, int m, int n)
    {
        int r = sigma.Length;
        var z = new double[r];
        for (int i = 0; i < r; i++) z[i] = maxMult / (1 + Math.Exp(-p[i]));
        return ComposeReferenceZ(u, sigma, v, z, m, n);
    }

    /// <summary>W' = c·U diag(σ⊙z) Vᵀ [m, n] in f64 for a given z (c = Σσ/Σσ⊙z).</summary>
    public static double[] ComposeReferenceZ(ReadOnlySpan<double> u, ReadOnlySpan<double> sigma, ReadOnlySpan<double> v, ReadOnlySpan<double> z, int m, int n)
    {
        int r = sigma.Length;
        double total = 0, t = 0;
        for (int i = 0; i < r; i++)
        {
            total += sigma[i];
            t += sigma[i] * z[i];
        }
        double c = total == 0 ? 1 : total / t;
        var s = new double[r];
        for (int i = 0; i < r; i++) s[i] = c * sigma[i] * z[i];
        var w = new double[m * n];
        var us = new double[r];
        for (int row = 0; row < m; row++)
        {
            for (int i = 0; i < r; i++) us[i] = u[(row * r) + i] * s[i];
            for (int col = 0; col < n; col++) w[(row * n) + col] = TensorPrimitives.Dot<double>(us, v.Slice(col * r, r));
        }
        return w;
    }
}

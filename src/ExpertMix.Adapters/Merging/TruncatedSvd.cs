// Exact truncated SVD for merging: a cheap route for factorised matrices and a Gram/eigen route for dense ones.
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace ExpertMix.Adapters.Merging;

/// <summary>How many singular triplets a truncated SVD keeps.</summary>
/// <param name="MaxRank">Keep at most this many (null: no cap).</param>
/// <param name="MaxRelativeError">Keep the fewest k with ‖M − M_k‖_F/‖M‖_F ≤ this (null: use <paramref name="MaxRank"/>).</param>
public sealed record RankSelection(int? MaxRank, double? MaxRelativeError)
{
    /// <summary>Exactly rank k (capped by min(out, in)).</summary>
    public static RankSelection Rank(int k) => new(k >= 1 ? k : throw new ArgumentException($"rank budget must be ≥ 1 (got {k})"), null);

    /// <summary>The smallest rank whose relative Frobenius error is ≤ <paramref name="error"/>, optionally capped.</summary>
    public static RankSelection RelativeError(double error, int? maxRank = null)
        => new(maxRank, error is >= 0 and < 1 ? error : throw new ArgumentException($"target relative error must be in [0, 1) (got {error})"));

    /// <summary>The rank to keep given singular values σ (descending) and ‖M‖_F².</summary>
    internal int Choose(ReadOnlySpan<double> sigma, double totalSq)
    {
        int cap = Math.Min(MaxRank ?? sigma.Length, sigma.Length);
        if (MaxRelativeError is not { } eps) return cap;
        double kept = 0;
        for (int k = 0; k < cap; k++)
        {
            double tail = Math.Max(totalSq - kept, 0);
            if (tail <= eps * eps * totalSq) return Math.Max(k, 1);
            kept += sigma[k] * sigma[k];
        }
        return Math.Max(cap, 1);
    }
}

/// <summary>A rank-k factorisation B·A of a module delta (B = U_k·diag(σ_k) [out, k], A = V_kᵀ [k, in]).</summary>
/// <param name="B">B [out, k] row-major.</param>
/// <param name="A">A [k, in] row-major.</param>
/// <param name="Rank">k.</param>
/// <param name="Sigma">All singular values found, descending.</param>
/// <param name="TotalSquared">‖M‖_F².</param>
internal sealed record SvdFactors(float[] B, float[] A, int Rank, double[] Sigma, double TotalSquared)
{
    /// <summary>‖M − B·A‖_F² = Σ_{i>k} σ_i² (exact in exact arithmetic).</summary>
    public double TailSquared => Math.Max(TotalSquared - Sigma.Take(Rank).Sum(s => s * s), 0);
}

/// <summary>Truncated SVD kernels in f64.</summary>
internal static class TruncatedSvd
{
    /// <summary>
    /// SVD of M = Σ_t c_t P_t Q_t [out, in] without forming M: QR of P_cat = [c_t P_t] and of Q_catᵀ, then the SVD of
    /// the small R×R core R_P·R_Qᵀ by one-sided Jacobi. O((out+in)·R²).
    /// </summary>
    public static SvdFactors FromFactors(IReadOnlyList<FactorTerm> terms, int outFeatures, int inFeatures, RankSelection select)
    {
        int r = terms.Sum(t => t.Rank);
        var pCols = new double[r][]; // columns of P_cat, length out
        var qCols = new double[r][]; // columns of Q_catᵀ = rows of Q_cat, length in
        int c = 0;
        foreach (var t in terms)
        {
            for (int j = 0; j < t.Rank; j++, c++)
            {
                pCols[c] = t.Pt.AsSpan(j * outFeatures, outFeatures).ToArray();
                TensorPrimitives.Multiply<double>(pCols[c], t.Coef, pCols[c]);
                qCols[c] = t.Q.AsSpan(j * inFeatures, inFeatures).ToArray();
            }
        }
        var (q1, r1, p1) = HouseholderQr(pCols, outFeatures); // P = Q1 [out, p1] · R1 [p1, r]
        var (q2, r2, p2) = HouseholderQr(qCols, inFeatures);  // Qᵀ = Q2 [in, p2] · R2 [p2, r]
        // core C = R1 · R2ᵀ [p1, p2]; stored as columns (p2 columns of length p1) for one-sided Jacobi
        var cCols = new double[p2][];
        for (int b = 0; b < p2; b++)
        {
            cCols[b] = new double[p1];
            for (int a = 0; a < p1; a++)
            {
                double s = 0;
                for (int j = 0; j < r; j++) s += r1[a][j] * r2[b][j];
                cCols[b][a] = s;
            }
        }
        var (w, v, sigma) = JacobiSvd(cCols, p1); // C V = W, ‖W_j‖ = σ_j, sorted descending
        double total = sigma.Sum(s => s * s);
        int k = Math.Min(select.Choose(sigma, total), Math.Min(outFeatures, inFeatures));
        var bOut = new float[outFeatures * k];
        var aOut = new float[k * inFeatures];
        for (int j = 0; j < k; j++)
        {
            // B column j = Q1 · W_j (= U_j σ_j); A row j = (Q2 · V_j)ᵀ
            for (int o = 0; o < outFeatures; o++)
            {
                double s = 0;
                for (int a = 0; a < p1; a++) s += q1[a][o] * w[j][a];
                bOut[(o * k) + j] = (float)s;
            }
            var row = new double[inFeatures];
            for (int b = 0; b < p2; b++) TensorPrimitives.MultiplyAdd<double>(q2[b], v[j][b], row, row);
            for (int i = 0; i < inFeatures; i++) aOut[(j * inFeatures) + i] = (float)row[i];
        }
        CanonicalSigns(bOut, aOut, outFeatures, inFeatures, k);
        return new SvdFactors(bOut, aOut, k, sigma, total);
    }

    /// <summary>
    /// SVD of a dense M [out, in] (f32) through the eigen-decomposition of the smaller Gram (M Mᵀ or MᵀM) in f64.
    /// B·A = U_k U_kᵀ M (or M V_k V_kᵀ): an orthogonal projection of M, so the error is Σ_{i>k} σ_i² even where
    /// small σ are imprecise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SvdFactors FromDense(ReadOnlySpan<float> m, int outFeatures, int inFeatures, RankSelection select)
    {
        bool wide = outFeatures <= inFeatures;
        int small = wide ? outFeatures : inFeatures;
        int big = wide ? inFeatures : outFeatures;
        // rows: [small, big] f64 — M itself when wide, Mᵀ otherwise
        double[] rows = wide ? DenseKernels.ToDouble(m) : DenseKernels.TransposeToDouble(m, outFeatures, inFeatures);
        var g = DenseKernels.Gram(rows, small, big);
        double total = 0;
        for (int i = 0; i < small; i++) total += g[(i * small) + i];
        var (values, vectors) = SymmetricEigen.Decompose(g, small);
        var sigma = values.Select(x => Math.Sqrt(Math.Max(x, 0))).ToArray();
        int k = Math.Min(select.Choose(sigma, total), small);
        var bOut = new float[outFeatures * k];
        var aOut = new float[k * inFeatures];
        var proj = new double[big];
        for (int j = 0; j < k; j++)
        {
            var u = vectors.AsSpan(j * small, small);
            // proj = uᵀ · rows [big]
            Array.Clear(proj);
            for (int a = 0; a < small; a++)
            {
                if (u[a] != 0) TensorPrimitives.MultiplyAdd<double>(rows.AsSpan(a * big, big), u[a], proj, proj);
            }
            if (wide)
            {
                // B col j = u σ, A row j = uᵀM / σ  (so B·A = u uᵀ M)
                double s = Math.Sqrt(TensorPrimitives.Dot<double>(proj, proj));
                double inv = s > 0 ? 1 / s : 0;
                for (int o = 0; o < outFeatures; o++) bOut[(o * k) + j] = (float)(u[o] * s);
                for (int i = 0; i < inFeatures; i++) aOut[(j * inFeatures) + i] = (float)(proj[i] * inv);
            }
            else
            {
                // A row j = vᵀ, B col j = M v  (so B·A = M v vᵀ)
                for (int i = 0; i < inFeatures; i++) aOut[(j * inFeatures) + i] = (float)u[i];
                for (int o = 0; o < outFeatures; o++) bOut[(o * k) + j] = (float)proj[o];
            }
        }
        CanonicalSigns(bOut, aOut, outFeatures, inFeatures, k);
        return new SvdFactors(bOut, aOut, k, sigma, total);
    }

    /// <summary>
    /// Fixes the sign of each singular pair (an SVD determines it only up to ±): the largest-|value| entry of each
    /// row of A (the first on ties) is made positive, negating that row and the matching column of B.
    /// </summary>
    public static void CanonicalSigns(float[] b, float[] a, int outFeatures, int inFeatures, int k)
    {
        for (int j = 0; j < k; j++)
        {
            var row = a.AsSpan(j * inFeatures, inFeatures);
            int arg = 0;
            for (int i = 1; i < inFeatures; i++)
            {
                if (Math.Abs(row[i]) > Math.Abs(row[arg])) arg = i;
            }
            if (row[arg] >= 0) continue;
            for (int i = 0; i < inFeatures; i++) row[i] = -row[i];
            for (int o = 0; o < outFeatures; o++) b[(o * k) + j] = -b[(o * k) + j];
        }
    }

    /// <summary>
    /// PEFT's <c>svd_clamp</c>: hi = quantile_q(concat(vec B, vec A)) with linear interpolation (torch.quantile), then
    /// B, A ← min(max(x, −hi), hi).
    /// </summary>
    public static void Clamp(float[] b, float[] a, double q)
    {
        var all = new float[b.Length + a.Length];
        b.CopyTo(all, 0);
        a.CopyTo(all, b.Length);
        if (all.Length == 0) return;
        Array.Sort(all);
        double pos = q * (all.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hiIdx = Math.Min(lo + 1, all.Length - 1);
        float hi = (float)(all[lo] + ((all[hiIdx] - all[lo]) * (pos - lo)));
        float low = -hi;
        for (int i = 0; i < b.Length; i++) b[i] = Math.Min(Math.Max(b[i], low), hi);
        for (int i = 0; i < a.Length; i++) a[i] = Math.Min(Math.Max(a[i], low), hi);
    }

    /// <summary>
    /// Householder QR of the matrix whose columns are <paramref name="cols"/> (each of length m): X = Q R with
    /// Q [m, p] (returned as p columns) and R [p, r] (returned as p rows), p = min(m, r). Robust to rank deficiency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double[][] Q, double[][] R, int P) HouseholderQr(double[][] cols, int m)
    {
        int r = cols.Length;
        int p = Math.Min(m, r);
        var work = cols.Select(cc => (double[])cc.Clone()).ToArray();
        var vs = new double[p][];
        var rm = new double[p][];
        for (int i = 0; i < p; i++) rm[i] = new double[r];
        for (int j = 0; j < p; j++)
        {
            var x = work[j].AsSpan(j);
            double norm = Math.Sqrt(TensorPrimitives.Dot<double>(x, x));
            var v = x.ToArray();
            double alpha = x[0] >= 0 ? -norm : norm;
            v[0] -= alpha;
            double vn = Math.Sqrt(TensorPrimitives.Dot<double>(v, v));
            if (norm == 0 || vn == 0)
            {
                Array.Clear(v);
                alpha = x[0];
            }
            else
            {
                TensorPrimitives.Multiply<double>(v, 1 / vn, v);
            }
            vs[j] = v;
            rm[j][j] = alpha;
            for (int c = j + 1; c < r; c++)
            {
                var y = work[c].AsSpan(j);
                double t = 2 * TensorPrimitives.Dot<double>(v, y);
                if (t != 0) TensorPrimitives.MultiplyAdd<double>(v, -t, y, y);
                rm[j][c] = y[0];
            }
        }
        var q = new double[p][];
        for (int c = 0; c < p; c++)
        {
            var y = new double[m];
            y[c] = 1;
            for (int j = p - 1; j >= 0; j--)
            {
                var seg = y.AsSpan(j);
                double t = 2 * TensorPrimitives.Dot<double>(vs[j], seg);
                if (t != 0) TensorPrimitives.MultiplyAdd<double>(vs[j], -t, seg, seg);
            }
            q[c] = y;
        }
        return (q, rm, p);
    }

    /// <summary>
    /// One-sided Jacobi SVD of C [m, n] given as n columns: returns W = C·V (columns, ‖W_j‖ = σ_j), V (columns) and
    /// σ, all sorted by σ descending.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double[][] W, double[][] V, double[] Sigma) JacobiSvd(double[][] cols, int m)
    {
        int n = cols.Length;
        var w = cols.Select(c => (double[])c.Clone()).ToArray();
        var v = new double[n][];
        for (int j = 0; j < n; j++)
        {
            v[j] = new double[n];
            v[j][j] = 1;
        }
        const double Tol = 1e-15;
        for (int sweep = 0; sweep < 80; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double alpha = TensorPrimitives.Dot<double>(w[p], w[p]);
                    double beta = TensorPrimitives.Dot<double>(w[q], w[q]);
                    double gamma = TensorPrimitives.Dot<double>(w[p], w[q]);
                    if (gamma == 0 || Math.Abs(gamma) <= Tol * Math.Sqrt(alpha * beta)) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = (zeta >= 0 ? 1 : -1) / (Math.Abs(zeta) + Math.Sqrt(1 + (zeta * zeta)));
                    double c = 1 / Math.Sqrt(1 + (t * t));
                    double s = c * t;
                    Rotate(w[p], w[q], c, s);
                    Rotate(v[p], v[q], c, s);
                }
            }
            if (!rotated) break;
        }
        var sigma = w.Select(x => Math.Sqrt(TensorPrimitives.Dot<double>(x, x))).ToArray();
        var order = Enumerable.Range(0, n).OrderByDescending(j => sigma[j]).ToArray();
        return (order.Select(j => w[j]).ToArray(), order.Select(j => v[j]).ToArray(), order.Select(j => sigma[j]).ToArray());
    }

    // (x, y) ← (c·x − s·y, s·x + c·y)
    private static void Rotate(double[] x, double[] y, double c, double s)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double a = x[i], b = y[i];
            x[i] = (c * a) - (s * b);
            y[i] = (s * a) + (c * b);
        }
    }
}

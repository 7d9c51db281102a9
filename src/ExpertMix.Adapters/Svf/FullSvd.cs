// Full reduced SVD of a dense f32 matrix in f64: Gram eigenvectors as a preconditioner, then one-sided Jacobi.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ExpertMix.Adapters.Merging;

namespace ExpertMix.Adapters.Svf;

/// <summary>
/// A full reduced SVD W = U diag(σ) Vᵀ of W [m, n] with r = min(m, n): U [m, r] and V [n, r] row-major with
/// orthonormal columns, σ [r] descending and ≥ 0 (all f64).
/// </summary>
/// <param name="Rows">m.</param>
/// <param name="Cols">n.</param>
/// <param name="U">U [m, r] row-major.</param>
/// <param name="Sigma">σ [r], descending.</param>
/// <param name="V">V [n, r] row-major.</param>
internal sealed record SvdDecomposition(int Rows, int Cols, double[] U, double[] Sigma, double[] V)
{
    /// <summary>r = min(m, n).</summary>
    public int Rank => Sigma.Length;
}

/// <summary>
/// Full reduced SVD in f64 (preconditioned one-sided Jacobi, after Drmač–Veselić). Let X = W when m ≥ n, else X = Wᵀ,
/// so X [M, r] is tall. (1) The Gram XᵀX [r, r] is eigen-decomposed (<see cref="SymmetricEigen"/>, Householder +
/// implicit QL) to Q₀; (2) B = X·Q₀ has nearly orthogonal columns; (3) one-sided Jacobi rotates column pairs of B
/// (accumulating the same rotations into Q = Q₀·J) until every pair satisfies |b_pᵀb_q| ≤ tol·‖b_p‖‖b_q‖, which
/// usually takes one or two sweeps because of (1). Then X = B·Qᵀ exactly (up to rounding), σ_j = ‖b_j‖ and
/// P_j = b_j/σ_j; columns with σ_j ≤ M·ε·σ₁ (numerical null space) are re-orthogonalised against the others (and
/// completed by unit vectors where they vanish), so U and V are orthonormal to ~1e-12 even for rank-deficient W.
/// The Gram's squared condition number only affects the preconditioner, never the accuracy: Jacobi works on B itself.
/// Cost O(M·r²) per sweep; serial (callers parallelise over matrices).
/// </summary>
internal static class FullSvd
{
    private const double Tolerance = 1e-12;
    private const int MaxSweeps = 60;

    /// <summary>The full reduced SVD of <paramref name="w"/> [<paramref name="rows"/>, <paramref name="cols"/>] row-major (f32, computed in f64).</summary>
    /// <exception cref="ArgumentException">The span length is not rows·cols, or a value is not finite.</exception>
    /// <exception cref="ArithmeticException">Jacobi did not converge in 60 sweeps.</exception>
    public static SvdDecomposition Decompose(ReadOnlySpan<float> w, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0 || w.Length != (long)rows * cols) throw new ArgumentException($"SVD: {w.Length} values for a [{rows}, {cols}] matrix");
        if (!TensorPrimitives.IsFiniteAll(w)) throw new ArgumentException($"SVD: the [{rows}, {cols}] matrix has non-finite values");
        bool tall = rows >= cols;
        int r = Math.Min(rows, cols), big = Math.Max(rows, cols);
        // x: the r columns of X (each of length big), stored as the rows of x [r, big]
        double[] x = tall ? DenseKernels.TransposeToDouble(w, rows, cols) : DenseKernels.ToDouble(w);
        var gram = DenseKernels.Gram(x, r, big);                        // XᵀX [r, r]
        var (_, q0) = SymmetricEigen.Decompose(gram, r);               // eigenvector j = q0[j·r..(j+1)·r]
        var b = Project(x, q0, r, big);                                // column j of B = X·q_j, [r][big]
        var q = new double[r][];
        for (int j = 0; j < r; j++) q[j] = q0.AsSpan(j * r, r).ToArray();
        Jacobi(b, q, big);
        var sigma = new double[r];
        for (int j = 0; j < r; j++) sigma[j] = Math.Sqrt(TensorPrimitives.Dot<double>(b[j], b[j]));
        var order = Enumerable.Range(0, r).OrderByDescending(j => sigma[j]).ToArray();
        var sorted = order.Select(j => sigma[j]).ToArray();
        var p = order.Select(j => b[j]).ToArray();
        q = order.Select(j => q[j]).ToArray();
        double nullBelow = big * Math.Pow(2, -52) * sorted[0];
        for (int j = 0; j < r; j++)
        {
            if (sorted[j] > nullBelow && sorted[j] > 0) TensorPrimitives.Multiply<double>(p[j], 1 / sorted[j], p[j]);
        }
        CompleteNullColumns(p, sorted, nullBelow, big);
        var left = ColumnsToRowMajor(p, big);                          // P [big, r]
        var right = ColumnsToRowMajor(q, r);                           // Q [r, r]
        return tall ? new SvdDecomposition(rows, cols, left, sorted, right) : new SvdDecomposition(rows, cols, right, sorted, left);
    }

    /// <summary>‖W − U diag σ Vᵀ‖_F / ‖W‖_F in f64 (0 for W = 0).</summary>
    public static double RelativeReconstructionError(ReadOnlySpan<float> w, SvdDecomposition svd)
    {
        ArgumentNullException.ThrowIfNull(svd);
        int m = svd.Rows, n = svd.Cols, r = svd.Rank;
        double err = 0, norm = 0;
        var us = new double[r];
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < r; k++) us[k] = svd.U[(i * r) + k] * svd.Sigma[k];
            for (int j = 0; j < n; j++)
            {
                double v = TensorPrimitives.Dot<double>(us, svd.V.AsSpan(j * r, r));
                double d = w[(i * n) + j] - v;
                err += d * d;
                norm += (double)w[(i * n) + j] * w[(i * n) + j];
            }
        }
        return norm == 0 ? Math.Sqrt(err) : Math.Sqrt(err / norm);
    }

    /// <summary>‖XᵀX − I‖_max for X [rows, cols] row-major (orthonormality of the columns).</summary>
    public static double OrthogonalityError(double[] x, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(x);
        var t = DenseKernels.Transpose(x, rows, cols);                 // [cols, rows]
        var g = DenseKernels.Gram(t, cols, rows);
        double worst = 0;
        for (int a = 0; a < cols; a++)
        {
            for (int c = 0; c < cols; c++) worst = Math.Max(worst, Math.Abs(g[(a * cols) + c] - (a == c ? 1 : 0)));
        }
        return worst;
    }

    // B_j = Σ_a q_j[a]·x_a, eight output columns per pass over x so each row of x is read r/8 times.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[][] Project(double[] x, double[] q0, int r, int big)
    {
        var b = new double[r][];
        for (int j = 0; j < r; j++) b[j] = new double[big];
        const int Block = 8;
        for (int j0 = 0; j0 < r; j0 += Block)
        {
            int j1 = Math.Min(j0 + Block, r);
            for (int a = 0; a < r; a++)
            {
                var xa = x.AsSpan(a * big, big);
                for (int j = j0; j < j1; j++)
                {
                    double c = q0[(j * r) + a];
                    if (c != 0) TensorPrimitives.MultiplyAdd<double>(xa, c, b[j], b[j]);
                }
            }
        }
        return b;
    }

    // One-sided Jacobi on the columns of B with cached squared norms; the rotations are mirrored into Q.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Jacobi(double[][] b, double[][] q, int big)
    {
        int r = b.Length;
        var norms = new double[r];
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            for (int j = 0; j < r; j++) norms[j] = TensorPrimitives.Dot<double>(b[j], b[j]);
            bool rotated = false;
            for (int p = 0; p < r - 1; p++)
            {
                for (int k = p + 1; k < r; k++)
                {
                    double alpha = norms[p], beta = norms[k];
                    if (alpha == 0 || beta == 0) continue;
                    double gamma = TensorPrimitives.Dot<double>(b[p], b[k]);
                    if (Math.Abs(gamma) <= Tolerance * Math.Sqrt(alpha) * Math.Sqrt(beta)) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = (zeta >= 0 ? 1 : -1) / (Math.Abs(zeta) + Math.Sqrt(1 + (zeta * zeta)));
                    double c = 1 / Math.Sqrt(1 + (t * t));
                    double s = c * t;
                    PlaneRotation.Apply(b[p], b[k], c, s);
                    PlaneRotation.Apply(q[p], q[k], c, s);
                    norms[p] = Math.Max(alpha - (t * gamma), 0);
                    norms[k] = beta + (t * gamma);
                }
            }
            if (!rotated) return;
        }
        throw new ArithmeticException($"SVD: one-sided Jacobi did not converge in {MaxSweeps} sweeps");
    }

    // Columns with σ ≤ nullBelow: Gram–Schmidt (twice) against all other columns, replaced by a unit vector if they vanish.
    private static void CompleteNullColumns(double[][] p, double[] sigma, double nullBelow, int len)
    {
        int r = p.Length;
        int candidate = 0;
        for (int j = 0; j < r; j++)
        {
            if (sigma[j] > nullBelow && sigma[j] > 0) continue;
            double n0 = Math.Sqrt(TensorPrimitives.Dot<double>(p[j], p[j]));
            if (n0 > 0) TensorPrimitives.Multiply<double>(p[j], 1 / n0, p[j]);
            while (true)
            {
                for (int pass = 0; pass < 2; pass++)
                {
                    for (int k = 0; k < r; k++)
                    {
                        if (k == j || (k > j && (sigma[k] <= nullBelow || sigma[k] == 0))) continue;
                        double d = TensorPrimitives.Dot<double>(p[j], p[k]);
                        TensorPrimitives.MultiplyAdd<double>(p[k], -d, p[j], p[j]);
                    }
                }
                double nn = Math.Sqrt(TensorPrimitives.Dot<double>(p[j], p[j]));
                if (nn > 0.5)
                {
                    TensorPrimitives.Multiply<double>(p[j], 1 / nn, p[j]);
                    break;
                }
                if (candidate >= len) throw new ArithmeticException("SVD: could not complete an orthonormal basis");
                Array.Clear(p[j]);
                p[j][candidate++] = 1;
            }
        }
    }

    private static double[] ColumnsToRowMajor(double[][] cols, int len)
    {
        int r = cols.Length;
        var y = new double[len * r];
        for (int j = 0; j < r; j++)
        {
            var c = cols[j];
            for (int i = 0; i < len; i++) y[(i * r) + j] = c[i];
        }
        return y;
    }
}

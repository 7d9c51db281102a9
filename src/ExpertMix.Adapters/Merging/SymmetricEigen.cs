// Exact symmetric eigendecomposition in f64: Householder tridiagonalisation + implicit QL (EISPACK tred2/tql2).
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// Eigen-decomposition G = V Λ Vᵀ of a symmetric n×n matrix in f64 by Householder reduction to tridiagonal form
/// followed by the implicit QL algorithm (the EISPACK tred2/tql2 pair). O(n³); eigenvectors are stored
/// column-major so every inner loop runs over contiguous memory.
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues in descending order and the matching unit eigenvectors: vector j is
    /// <c>vectors[(j·n)..((j+1)·n)]</c>. <paramref name="g"/> [n, n] (symmetric, row-major) is overwritten.
    /// </summary>
    /// <exception cref="ArithmeticException">QL did not converge (non-finite input).</exception>
    public static (double[] Values, double[] Vectors) Decompose(double[] g, int n)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (g.Length != n * n) throw new ArgumentException($"eigen: {g.Length} values for a {n}×{n} matrix");
        if (n == 0) return ([], []);
        var v = g; // symmetric, so row-major == column-major: V(r, c) = v[c·n + r]
        var d = new double[n];
        var e = new double[n];
        Tred2(v, d, e, n);
        Tql2(v, d, e, n);
        var order = Enumerable.Range(0, n).OrderByDescending(i => d[i]).ToArray();
        var values = new double[n];
        var vectors = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            values[j] = d[order[j]];
            v.AsSpan(order[j] * n, n).CopyTo(vectors.AsSpan(j * n, n));
        }
        return (values, vectors);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tred2(double[] v, double[] d, double[] e, int n)
    {
        // V(r, c) = v[c*n + r]
        for (int j = 0; j < n; j++) d[j] = v[(j * n) + n - 1];
        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++) scale += Math.Abs(d[k]);
            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[(j * n) + i - 1];
                    v[(j * n) + i] = 0;
                    v[(i * n) + j] = 0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double gg = Math.Sqrt(h);
                if (f > 0) gg = -gg;
                e[i] = scale * gg;
                h -= f * gg;
                d[i - 1] = f - gg;
                Array.Clear(e, 0, i);
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[(i * n) + j] = f; // V(j, i)
                    var col = v.AsSpan(j * n, n);
                    double acc = e[j] + (col[j] * f);
                    int len = i - 1 - j;
                    if (len > 0)
                    {
                        acc += TensorPrimitives.Dot<double>(col.Slice(j + 1, len), d.AsSpan(j + 1, len));
                        TensorPrimitives.MultiplyAdd<double>(col.Slice(j + 1, len), f, e.AsSpan(j + 1, len), e.AsSpan(j + 1, len));
                    }
                    e[j] = acc;
                }
                f = 0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    gg = e[j];
                    var seg = v.AsSpan((j * n) + j, i - j);
                    TensorPrimitives.MultiplyAdd<double>(e.AsSpan(j, i - j), -f, seg, seg);
                    TensorPrimitives.MultiplyAdd<double>(d.AsSpan(j, i - j), -gg, seg, seg);
                    d[j] = v[(j * n) + i - 1];
                    v[(j * n) + i] = 0;
                }
            }
            d[i] = h;
        }
        for (int i = 0; i < n - 1; i++)
        {
            v[(i * n) + n - 1] = v[(i * n) + i];
            v[(i * n) + i] = 1;
            double h = d[i + 1];
            var next = v.AsSpan((i + 1) * n, i + 1);
            if (h != 0)
            {
                for (int k = 0; k <= i; k++) d[k] = next[k] / h;
                for (int j = 0; j <= i; j++)
                {
                    var colj = v.AsSpan(j * n, i + 1);
                    double gg = TensorPrimitives.Dot<double>(next, colj);
                    TensorPrimitives.MultiplyAdd<double>(d.AsSpan(0, i + 1), -gg, colj, colj);
                }
            }
            next.Clear();
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = v[(j * n) + n - 1];
            v[(j * n) + n - 1] = 0;
        }
        v[((n - 1) * n) + n - 1] = 1;
        e[0] = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tql2(double[] v, double[] d, double[] e, int n)
    {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        double eps = Math.Pow(2, -52);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n)
            {
                if (Math.Abs(e[m]) <= eps * tst1) break;
                m++;
            }
            if (m == n) m = n - 1;
            if (m > l)
            {
                int iter = 0;
                do
                {
                    if (++iter > 300) throw new ArithmeticException("symmetric eigen-decomposition did not converge (non-finite input?)");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1;
                    double el1 = e[l + 1];
                    double s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = (c * d[i]) - (s * g);
                        d[i + 1] = h + (s * ((c * g) + (s * d[i])));
                        PlaneRotation.Apply(v.AsSpan(i * n, n), v.AsSpan((i + 1) * n, n), c, s);
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    private static double Hypot(double a, double b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        if (a > b) return a * Math.Sqrt(1 + ((b / a) * (b / a)));
        return b == 0 ? 0 : b * Math.Sqrt(1 + ((a / b) * (a / b)));
    }
}

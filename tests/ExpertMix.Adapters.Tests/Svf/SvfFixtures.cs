// Random matrices with a prescribed spectrum and other inputs of the SVF tests.
using ExpertMix.Adapters.Svf;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Svf;

internal static class SvfFixtures
{
    /// <summary>
    /// The expert of a golden file's <c>init.&lt;param&gt;</c> pre-sigmoid vectors (p requires grad), after checking that the
    /// file's <c>params</c> metadata names exactly the basis's matrices.
    /// </summary>
    public static SvfExpert GoldenInitialExpert(GoldenFile golden, SvfBasis basis)
    {
        var names = golden.Metadata["params"].Split(',');
        Assert.Equal(names.Order(), basis.Matrices.Select(x => x.ParamName).Order());
        var ps = basis.Matrices.Select(x =>
        {
            var t = golden[$"init.{x.ParamName}"].ToTensor();
            t.RequiresGrad = true;
            return (x.ParamName, t);
        }).ToList();
        return new SvfExpert("g", ps, 1f, "", basis.Fingerprint);
    }

    public static float[] Normal(int count, Rng rng, double std = 1)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextNormal() * std);
        return x;
    }

    /// <summary>W = Q₁ diag(σ) Q₂ᵀ with σ log-spaced from 1 down to <paramref name="smallest"/> and random orthonormal Q (f64 Gram–Schmidt).</summary>
    public static float[] WithSpectrum(int m, int n, double smallest, int seed)
    {
        var rng = new Rng((ulong)seed);
        int r = Math.Min(m, n);
        var q1 = Orthonormal(m, r, rng);
        var q2 = Orthonormal(n, r, rng);
        var w = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < r; k++) s += q1[k][i] * Math.Pow(smallest, k / (double)Math.Max(r - 1, 1)) * q2[k][j];
                w[(i * n) + j] = (float)s;
            }
        }
        return w;
    }

    /// <summary>r orthonormal columns of length len (f64), as column arrays.</summary>
    public static double[][] Orthonormal(int len, int r, Rng rng)
    {
        var cols = new double[r][];
        for (int k = 0; k < r; k++)
        {
            var c = new double[len];
            for (int i = 0; i < len; i++) c[i] = rng.NextNormal();
            for (int pass = 0; pass < 2; pass++)
            {
                for (int p = 0; p < k; p++)
                {
                    double d = 0;
                    for (int i = 0; i < len; i++) d += c[i] * cols[p][i];
                    for (int i = 0; i < len; i++) c[i] -= d * cols[p][i];
                }
            }
            double nn = Math.Sqrt(c.Sum(v => v * v));
            for (int i = 0; i < len; i++) c[i] /= nn;
            cols[k] = c;
        }
        return cols;
    }
}

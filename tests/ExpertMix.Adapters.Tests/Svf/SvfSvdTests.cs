// §3 tolerances of the full reduced SVD on random, ill-conditioned, rank-deficient and GPT-2-sized matrices.
using ExpertMix.Adapters.Svf;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests.Svf;

public sealed class SvfSvdTests
{
    [Theory]
    [InlineData(40, 24, 1.0)]
    [InlineData(24, 40, 1.0)]
    [InlineData(33, 33, 1.0)]
    [InlineData(48, 30, 1e-7)]     // condition number 1e7
    [InlineData(30, 48, 1e-12)]    // beyond f32 resolution
    public void MeetsTolerances(int m, int n, double smallest)
    {
        var w = SvfFixtures.WithSpectrum(m, n, smallest, seed: m * 100 + n);
        var svd = FullSvd.Decompose(w, m, n);
        AssertTolerances(w, svd);
    }

    [Fact]
    public void RankDeficientAndZeroMatrices()
    {
        // rank 5 product of [40, 5]·[5, 28], plus a zero row and column
        var rng = new Rng(7);
        int m = 40, n = 28, k = 5;
        var a = SvfFixtures.Normal(m * k, rng);
        var b = SvfFixtures.Normal(k * n, rng);
        var w = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int t = 0; t < k; t++) s += a[(i * k) + t] * b[(t * n) + j];
                w[(i * n) + j] = i == 3 || j == 4 ? 0f : (float)s;
            }
        }
        var svd = FullSvd.Decompose(w, m, n);
        AssertTolerances(w, svd);
        Assert.True(svd.Sigma[k] <= 1e-5 * svd.Sigma[0], $"σ_{k} = {svd.Sigma[k]} should be ~0 for a rank-{k} matrix");

        var zero = new float[6 * 9];
        var z = FullSvd.Decompose(zero, 6, 9);
        Assert.All(z.Sigma, s => Assert.Equal(0, s));
        Assert.True(FullSvd.OrthogonalityError(z.U, 6, 6) <= 1e-10);
        Assert.True(FullSvd.OrthogonalityError(z.V, 9, 6) <= 1e-10);
    }

    [Fact]
    public void NonFiniteInputIsRefused()
    {
        var w = new float[12];
        w[5] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => FullSvd.Decompose(w, 3, 4));
        Assert.Contains("non-finite", e.Message);
    }

    [Fact]
    public void Gpt2_sized_matrices_meet_the_tolerances()
    {
        foreach (var (m, n) in new[] { (768, 768), (3072, 768), (768, 3072) })
        {
            var w = SvfFixtures.Normal(m * n, new Rng(1), 0.02);
            AssertTolerances(w, FullSvd.Decompose(w, m, n));
        }
    }

    internal static void AssertTolerances(float[] w, SvdDecomposition svd)
    {
        double rec = FullSvd.RelativeReconstructionError(w, svd);
        double ou = FullSvd.OrthogonalityError(svd.U, svd.Rows, svd.Rank);
        double ov = FullSvd.OrthogonalityError(svd.V, svd.Cols, svd.Rank);
        Assert.True(rec <= 1e-5, $"reconstruction {rec:E2} > 1e-5");
        Assert.True(ou <= 1e-5, $"‖UᵀU − I‖_max {ou:E2} > 1e-5");
        Assert.True(ov <= 1e-5, $"‖VᵀV − I‖_max {ov:E2} > 1e-5");
        for (int i = 1; i < svd.Rank; i++) Assert.True(svd.Sigma[i] <= svd.Sigma[i - 1], $"σ not descending at {i}");
        Assert.All(svd.Sigma, s => Assert.True(s >= 0));
    }
}

// The exact linear-algebra kernels behind merging: symmetric eigen, factorised and dense truncated SVD (speed: `expertmix bench merge`).
using ExpertMix.Adapters.Merging;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests;

public class MergingKernelTests
{
    [Fact]
    public void Symmetric_eigen_reconstructs_the_matrix_with_orthonormal_vectors()
    {
        const int N = 37;
        var rng = new Rng(5);
        var g = new double[N * N];
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j <= i; j++) g[(i * N) + j] = g[(j * N) + i] = rng.NextNormal();
        }
        var original = (double[])g.Clone();
        var (values, vectors) = SymmetricEigen.Decompose(g, N);
        for (int k = 1; k < N; k++) Assert.True(values[k] <= values[k - 1]);
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double rec = 0, ortho = 0;
                for (int k = 0; k < N; k++)
                {
                    rec += vectors[(k * N) + i] * values[k] * vectors[(k * N) + j];
                    ortho += vectors[(i * N) + k] * vectors[(j * N) + k];
                }
                Assert.Equal(original[(i * N) + j], rec, 9);
                Assert.Equal(i == j ? 1 : 0, ortho, 9);
            }
        }
    }

    [Fact]
    public void Target_kernel_writes_t_and_measures_a_given_delta_against_it()
    {
        var rng = new Rng(8);
        const int Out = 13, In = 21, R = 5; // not multiples of the 4×8 block
        var b = Enumerable.Range(0, Out * R).Select(_ => (float)rng.NextNormal()).ToArray();
        var a = Enumerable.Range(0, R * In).Select(_ => (float)rng.NextNormal()).ToArray();
        var term = FactorTerm.FromLora(0.75, b, a, R, Out, In);
        var y = new float[Out * In];
        var (err, tgt) = TargetKernel.Run([term], Out, In, y, TargetPass.Write);
        double expectedTgt = 0;
        for (int o = 0; o < Out; o++)
        {
            for (int i = 0; i < In; i++)
            {
                double t = 0;
                for (int j = 0; j < R; j++) t += 0.75 * b[(o * R) + j] * a[(j * In) + i];
                Assert.Equal((float)t, y[(o * In) + i]);
                expectedTgt += t * t;
            }
        }
        Assert.Equal(expectedTgt, tgt, 1e-9 * expectedTgt);
        Assert.True(err <= 1e-12 * tgt);
        var shifted = y.Select(v => v + 0.5f).ToArray();
        var (err2, _) = TargetKernel.Run([term], Out, In, shifted, TargetPass.Compare);
        Assert.Equal(0.25 * Out * In, err2, 1e-3);
    }

    [Theory]
    [InlineData(20, 9)]
    [InlineData(9, 20)]
    public void Dense_and_factorised_svd_agree_on_singular_values_and_optimal_error(int outF, int inF)
    {
        var rng = new Rng(7);
        const int R = 6;
        var b = Enumerable.Range(0, outF * R).Select(_ => (float)rng.NextNormal()).ToArray();
        var a = Enumerable.Range(0, R * inF).Select(_ => (float)rng.NextNormal()).ToArray();
        var dense = DenseKernels.MatMul(b, outF, R, a, inF);
        var term = FactorTerm.FromLora(1, b, a, R, outF, inF);
        var f = TruncatedSvd.FromFactors([term], outF, inF, RankSelection.Rank(3));
        var d = TruncatedSvd.FromDense(dense, outF, inF, RankSelection.Rank(3));
        for (int k = 0; k < R; k++) Assert.Equal(f.Sigma[k], d.Sigma[k], 4);
        Assert.Equal(f.TailSquared, d.TailSquared, 3);
        // the returned factors attain the tail: ‖M − B·A‖² = Σ_{i>k} σ_i²
        foreach (var svd in new[] { f, d })
        {
            var approx = DenseKernels.MatMul(svd.B, outF, svd.Rank, svd.A, inF);
            double err = dense.Zip(approx, (p, q) => (double)(p - q) * (p - q)).Sum();
            Assert.Equal(svd.TailSquared, err, 3);
        }
    }
}

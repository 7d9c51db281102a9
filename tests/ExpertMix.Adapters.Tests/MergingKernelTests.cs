// The exact linear-algebra kernels behind merging: symmetric eigen, factorised and dense truncated SVD, and speed targets.
using System.Diagnostics;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Merging;
using ExpertMix.Tensors;
using static ExpertMix.Adapters.Tests.MergingFixtures;

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

    [Fact]
    public void Gpt2_sized_merges_and_orthogonality_meet_the_speed_targets()
    {
        // 3 rank-8 adapters on c_attn, attn.c_proj, c_fc, mlp.c_proj over 12 layers (GPT-2 small)
        var specs = Enumerable.Range(0, 12).SelectMany(l => new[]
        {
            new ModuleSpec($"transformer.h.{l}.attn.c_attn", 2304, 768, 8),
            new ModuleSpec($"transformer.h.{l}.attn.c_proj", 768, 768, 8),
            new ModuleSpec($"transformer.h.{l}.mlp.c_fc", 3072, 768, 8),
            new ModuleSpec($"transformer.h.{l}.mlp.c_proj", 768, 3072, 8),
        }).ToArray();
        using var x = Random("x", 1, specs);
        using var y = Random("y", 2, specs);
        using var z = Random("z", 3, specs);
        MergeInput[] inputs = [new(x, 1f), new(y, 1f), new(z, 1f)];
        using (LoraMerger.Merge(inputs, MergeMethod.Cat)) { } // warm-up (JIT)
        var times = new Dictionary<string, double>();
        foreach (var method in new[] { MergeMethod.DeltaSum, MergeMethod.Cat, MergeMethod.Ties, MergeMethod.PeftTies })
        {
            var sw = Stopwatch.StartNew();
            using var r = LoraMerger.Merge(inputs, method);
            times[MergeMethodInfo.NameOf(method)] = sw.Elapsed.TotalSeconds;
        }
        var sw2 = Stopwatch.StartNew();
        var m = Orthogonality.Pairwise(inputs);
        times["orthogonality"] = sw2.Elapsed.TotalSeconds;
        Assert.Equal(48, m[0, 1].CommonModules);
        string report = string.Join(", ", times.Select(p => $"{p.Key} {p.Value:F2}s"));
        // targets: merges < 2 s, orthogonality < 1 s (×2 slack for a shared CI machine)
        Assert.True(times.Where(p => p.Key != "orthogonality").All(p => p.Value < 4), report);
        Assert.True(times["orthogonality"] < 2, report);
    }
}

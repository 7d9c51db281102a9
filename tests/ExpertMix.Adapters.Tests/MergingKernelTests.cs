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

[CollectionDefinition(nameof(MergingSpeedCollection), DisableParallelization = true)]
public sealed class MergingSpeedCollection;

[Collection(nameof(MergingSpeedCollection))]
public class MergingSpeedTests
{
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
        // CPU time of this process (the collection runs alone) is insensitive to other load on a shared machine;
        // targets: merge < 2 s wall on 2 cores (≤ 4 CPU-s), orthogonality < 1 s
        var cpu = new Dictionary<string, double>();
        var wall = new Dictionary<string, double>();
        var process = Process.GetCurrentProcess();
        void Time(string name, Action run)
        {
            process.Refresh();
            var c0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            run();
            wall[name] = sw.Elapsed.TotalSeconds;
            process.Refresh();
            cpu[name] = (process.TotalProcessorTime - c0).TotalSeconds;
        }
        foreach (var method in new[] { MergeMethod.DeltaSum, MergeMethod.Cat, MergeMethod.Ties, MergeMethod.PeftTies })
        {
            Time(MergeMethodInfo.NameOf(method), () => LoraMerger.Merge(inputs, method).Dispose());
        }
        OrthogonalityMatrix? m = null;
        Time("orthogonality", () => m = Orthogonality.Pairwise(inputs));
        Assert.Equal(48, m![0, 1].CommonModules);
        string report = string.Join(", ", cpu.Keys.Select(k => $"{k} {cpu[k]:F2} CPU-s / {wall[k]:F2} s"));
        Assert.True(cpu.Where(p => p.Key != "orthogonality").All(p => p.Value < 4), report);
        Assert.True(cpu["orthogonality"] < 1, report);
    }
}

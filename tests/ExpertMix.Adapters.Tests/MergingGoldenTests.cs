// PEFT merge_utils / add_weighted_adapter and mergekit TIES/breadcrumbs reimplemented in torch (tools/golden/lora_merge.py).
using ExpertMix.Adapters.Merging;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests;

public class MergingGoldenTests
{
    private const string Path = "transformer.h.0.attn.c_attn";
    private static readonly Lazy<GoldenFile> File = new(() => GoldenFile.Load(System.IO.Path.Combine(AppContext.BaseDirectory, "Golden", "lora-merge.safetensors")));

    private static float[] G(string name) => File.Value.Tensors.TryGetValue(name, out var t)
        ? t.Data
        : throw new KeyNotFoundException($"golden tensor '{name}' missing; regenerate with: {File.Value.Command}");

    private static double[] Weights => G("weights").Select(v => (double)v).ToArray();

    private static void Close(float[] expected, float[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(v => Math.Abs(v)));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * scale, $"{what}[{i}]: expected {expected[i]}, got {actual[i]} ({File.Value.Command})");
        }
    }

    [Fact]
    public void Merge_utils_functions_match_peft()
    {
        float[][] xs = [G("x0"), G("x1"), G("x2")];
        Close(G("utils.task_arithmetic"), PeftMergeFunctions.TaskArithmetic(xs, Weights), 1e-6, "task_arithmetic");
        Close(G("utils.magnitude_prune.d0.4"), PeftMergeFunctions.MagnitudePrune(xs, Weights, 0.4), 1e-6, "magnitude_prune");
        Close(G("utils.ties.total.d0.5"), PeftMergeFunctions.Ties(xs, Weights, 0.5, SignElection.Total), 1e-6, "ties total");
        Close(G("utils.ties.frequency.d0.5"), PeftMergeFunctions.Ties(xs, Weights, 0.5, SignElection.Frequency), 1e-6, "ties frequency");
        Close(G("utils.ties.total.d1"), PeftMergeFunctions.Ties(xs, Weights, 1, SignElection.Total), 1e-6, "ties density 1");
    }

    private static MergeInput[] Inputs()
    {
        var alphas = G("alphas");
        var w = G("weights");
        return Enumerable.Range(0, 3)
            .Select(i => new MergeInput(MergingFixtures.FromFactors($"lora{i}", Path, G($"lora{i}.A"), 3, 6, G($"lora{i}.B"), 7, alphas[i]), w[i]))
            .ToArray();
    }

    private static void DisposeAll(MergeInput[] inputs)
    {
        foreach (var x in inputs) x.Adapter.Dispose();
    }

    [Theory]
    [InlineData(MergeMethod.PeftLinear, 1.0, SignElection.Total, "peft.linear")]
    [InlineData(MergeMethod.PeftTies, 0.5, SignElection.Total, "peft.ties")]
    [InlineData(MergeMethod.PeftTies, 0.5, SignElection.Frequency, "peft.ties_frequency")]
    [InlineData(MergeMethod.PeftMagnitudePrune, 0.6, SignElection.Total, "peft.magnitude_prune")]
    public void Factor_space_combinations_match_peft(MergeMethod method, double density, SignElection election, string key)
    {
        var inputs = Inputs();
        try
        {
            using var r = LoraMerger.Merge(inputs, method, new MergeOptions { Density = density, SignElection = election });
            var m = r.Adapter!.Modules[Path];
            Close(G($"{key}.A"), m.A.ToArray(), 1e-6, $"{key}.A");
            Close(G($"{key}.B"), m.B.ToArray(), 1e-6, $"{key}.B");
        }
        finally
        {
            DisposeAll(inputs);
        }
    }

    [Theory]
    [InlineData(MergeMethod.PeftSvd, 1.0, "peft.svd")]
    [InlineData(MergeMethod.PeftTiesSvd, 0.5, "peft.ties_svd")]
    [InlineData(MergeMethod.PeftMagnitudePruneSvd, 0.6, "peft.magnitude_prune_svd")]
    public void Svd_branch_matches_peft_with_its_scale_quirk(MergeMethod method, double density, string key)
    {
        var inputs = Inputs();
        try
        {
            using var r = LoraMerger.Merge(inputs, method, new MergeOptions { Density = density, SvdRank = 3, SvdScaling = SvdScaling.PeftCompat });
            Close(G($"{key}.delta"), MergingFixtures.DeltaOf(r, Path), 1e-5, key);
        }
        finally
        {
            DisposeAll(inputs);
        }
    }

    [Fact]
    public void Svd_clamp_and_exact_svd_match()
    {
        var inputs = Inputs();
        try
        {
            using var clamp = LoraMerger.Merge(inputs, MergeMethod.PeftSvd, new MergeOptions { SvdRank = 3, SvdClamp = 0.8, SvdScaling = SvdScaling.PeftCompat });
            var m = clamp.Adapter!.Modules[Path];
            Close(G("peft.svd_clamp0.8.A"), m.A.ToArray(), 1e-5, "clamp A");
            Close(G("peft.svd_clamp0.8.B"), m.B.ToArray(), 1e-5, "clamp B");
            using var exact = LoraMerger.Merge(inputs, MergeMethod.PeftSvd, new MergeOptions { SvdRank = 3 });
            Close(G("exact.svd.delta"), MergingFixtures.DeltaOf(exact, Path), 1e-5, "exact svd");
            using var sum = LoraMerger.Merge(inputs, MergeMethod.DeltaSum);
            Close(G("target"), MergingFixtures.DeltaOf(sum, Path), 1e-6, "target");
        }
        finally
        {
            DisposeAll(inputs);
        }
    }

    [Theory]
    [InlineData(MergeMethod.Ties, 0.5, 0.01, "mergekit.ties.d0.5")]
    [InlineData(MergeMethod.Breadcrumbs, 0.6, 0.1, "mergekit.breadcrumbs.d0.6.g0.1")]
    [InlineData(MergeMethod.BreadcrumbsTies, 0.6, 0.0, "mergekit.breadcrumbs_ties.d0.6.g0")]
    public void Mergekit_methods_match(MergeMethod method, double density, double gamma, string key)
    {
        var inputs = Inputs();
        try
        {
            using var r = LoraMerger.Merge(inputs, method, new MergeOptions { Density = density, Gamma = gamma });
            Close(G(key), MergingFixtures.DeltaOf(r, Path), 1e-6, key);
        }
        finally
        {
            DisposeAll(inputs);
        }
    }
}

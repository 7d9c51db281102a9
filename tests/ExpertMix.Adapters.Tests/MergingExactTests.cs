// Spec §8.3: exact methods against dense sums, self-reproduction, rsLoRA → scaling 1, negative weights, mixed ranks/targets.
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using static ExpertMix.Adapters.Tests.MergingFixtures;

namespace ExpertMix.Adapters.Tests;

public class MergingExactTests
{
    private static readonly ModuleSpec[] MixedRanks =
    [
        new("transformer.h.0.attn.c_attn", 12, 5, 2),
        new("transformer.h.0.attn.c_proj", 5, 5, 4),
        new("transformer.h.0.mlp.c_fc", 7, 5, 1),
    ];

    [Fact]
    public void Delta_sum_equals_the_naive_dense_sum_with_error_below_1e6()
    {
        using var x = Random("x", 1, Small, alpha: 8);
        using var y = Random("y", 2, MixedRanks, alpha: 16, rsLora: true);
        using var z = Random("z", 3, Small, alpha: 4, rankOverride: 5);
        using var r = LoraMerger.Merge([new(x, 0.7f), new(y, -1.3f), new(z, 2f)], MergeMethod.DeltaSum);
        Assert.False(r.IsAdapter);
        foreach (var s in Small)
        {
            var t = Target(s.Path, (x, 0.7), (y, -1.3), (z, 2));
            Assert.True(RelErr(DeltaOf(r, s.Path), t) <= 1e-6, s.Path);
        }
        Assert.True(r.CompositionError.Aggregate <= 1e-6, r.CompositionError.ToString());
        Assert.True(r.CompositionError.Max <= 1e-6);
        Assert.All(r.CompositionError.Modules, m => Assert.Equal(ErrorEvaluation.Dense, m.Evaluation));
    }

    [Fact]
    public void Cat_equals_delta_sum_with_rank_sum_and_scaling_one()
    {
        using var x = Random("x", 1, Small, alpha: 8);
        using var y = Random("y", 2, MixedRanks, alpha: 16, rsLora: true);
        MergeInput[] inputs = [new(x, 1f), new(y, -0.5f)];
        using var cat = LoraMerger.Merge(inputs, MergeMethod.Cat);
        using var sum = LoraMerger.Merge(inputs, MergeMethod.DeltaSum);
        var adapter = Assert.IsType<LoraAdapter>(cat.Adapter);
        foreach (var s in Small)
        {
            var m = adapter.Modules[s.Path];
            int expectedRank = 3 + MixedRanks.Single(q => q.Path == s.Path).Rank;
            Assert.Equal(expectedRank, m.Rank);
            Assert.Equal(expectedRank, adapter.Config.RankFor(s.Path));
            Assert.Equal(1f, adapter.Config.ScalingFor(s.Path));
            Assert.Equal(1f, m.Scaling);
            var t = Target(s.Path, (x, 1), (y, -0.5));
            Assert.True(RelErr(DeltaOf(cat, s.Path), t) <= 1e-6, s.Path);
            var dsum = DeltaOf(sum, s.Path);
            var dcat = DeltaOf(cat, s.Path);
            Assert.True(RelErr(dcat, dsum.Select(v => (double)v).ToArray()) <= 1e-6);
        }
        Assert.False(adapter.Config.UseRsLora);
        Assert.True(cat.CompositionError.Aggregate <= 1e-6);
        Assert.All(cat.CompositionError.Modules, m => Assert.Equal(ErrorEvaluation.GramTrace, m.Evaluation));
    }

    [Fact]
    public void Merged_adapter_with_per_module_ranks_round_trips_through_the_peft_format()
    {
        using var x = Random("x", 1, Small, alpha: 8);
        using var y = Random("y", 2, MixedRanks, alpha: 16, rsLora: true);
        using var cat = LoraMerger.Merge([new(x, 1f), new(y, 2f)], MergeMethod.Cat);
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-merge-" + Guid.NewGuid().ToString("N"));
        try
        {
            PeftFormat.Save(cat.Adapter!, dir);
            using var back = PeftFormat.Load(dir);
            Assert.Equal(cat.Adapter!.Modules.Keys, back.Modules.Keys);
            foreach (var (path, m) in back.Modules)
            {
                Assert.Equal(cat.Adapter.Modules[path].Rank, m.Rank);
                Assert.Equal(1f, m.Scaling);
                using var d = m.Delta();
                Assert.True(RelErr(d.ToArray(), Target(path, (x, 1), (y, 2))) <= 1e-6, path);
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Module_targeted_by_some_adapters_gets_only_their_terms()
    {
        using var x = Random("x", 4, Small.Take(1));       // c_attn only
        using var y = Random("y", 5, Small, rankOverride: 2); // all three, another rank
        MergeInput[] inputs = [new(x, 1f), new(y, 1f)];
        foreach (var method in new[] { MergeMethod.DeltaSum, MergeMethod.Cat, MergeMethod.TaskArithmetic, MergeMethod.Ties, MergeMethod.PeftSvd })
        {
            using var r = LoraMerger.Merge(inputs, method, new MergeOptions { SvdRank = 5 });
            Assert.Equal(Small.Select(s => s.Path).Order(StringComparer.Ordinal), r.ModulePaths.Order(StringComparer.Ordinal));
            // modules only y targets reproduce y exactly (ties on one adapter is the identity at density 1)
            foreach (var s in Small.Skip(1))
            {
                Assert.True(RelErr(DeltaOf(r, s.Path), Target(s.Path, (y, 1))) <= 1e-5, $"{method} {s.Path}");
            }
        }
        using var sum = LoraMerger.Merge(inputs, MergeMethod.DeltaSum);
        Assert.True(RelErr(DeltaOf(sum, Small[0].Path), Target(Small[0].Path, (x, 1), (y, 1))) <= 1e-6);
    }

    [Theory]
    [InlineData(MergeMethod.DeltaSum)]
    [InlineData(MergeMethod.Cat)]
    [InlineData(MergeMethod.FactorSum)]
    [InlineData(MergeMethod.PeftLinear)]
    [InlineData(MergeMethod.PeftSvd)]
    [InlineData(MergeMethod.PeftTies)]
    [InlineData(MergeMethod.PeftTiesSvd)]
    [InlineData(MergeMethod.TaskArithmetic)]
    [InlineData(MergeMethod.Ties)]
    [InlineData(MergeMethod.DareLinear)]
    [InlineData(MergeMethod.DareTies)]
    [InlineData(MergeMethod.Breadcrumbs)]
    [InlineData(MergeMethod.BreadcrumbsTies)]
    [InlineData(MergeMethod.Della)]
    [InlineData(MergeMethod.DellaLinear)]
    [InlineData(MergeMethod.Linear)]
    public void Single_rslora_adapter_at_weight_one_reproduces_itself(MergeMethod method)
    {
        using var x = Random("x", 7, Small, alpha: 6, rsLora: true);
        using var r = LoraMerger.Merge([new(x, 1f)], method);
        foreach (var s in Small)
        {
            Assert.True(RelErr(DeltaOf(r, s.Path), Dense(x.Modules[s.Path])) <= 1e-5, $"{method} {s.Path}");
        }
        Assert.True(r.CompositionError.Max <= 1e-5, r.CompositionError.ToString());
        if (r.Adapter is { } a)
        {
            Assert.False(a.Config.UseRsLora);
            Assert.Equal(a.Config.Rank, (int)a.Config.Alpha);
            Assert.All(a.Modules.Values, m => Assert.Equal(1f, m.Scaling));
            Assert.All(a.Modules.Keys, p => Assert.Equal(1f, a.Config.ScalingFor(p)));
        }
        if (MergeMethodInfo.IsPeft(method)) Assert.Equal(MergeMethod.PeftLinear, r.EffectiveMethod);
    }

    [Fact]
    public void Negative_weights_subtract()
    {
        using var x = Random("x", 8, Small);
        using var y = Random("y", 9, Small);
        using var zero = LoraMerger.Merge([new(x, 1f), new(x, -1f)], MergeMethod.DeltaSum);
        foreach (var s in Small) Assert.All(DeltaOf(zero, s.Path), v => Assert.True(Math.Abs(v) <= 1e-12)); // f64 FMA leaves only ~1e-16
        foreach (var method in new[] { MergeMethod.DeltaSum, MergeMethod.Cat, MergeMethod.TaskArithmetic })
        {
            using var r = LoraMerger.Merge([new(x, 1f), new(y, -1f)], method);
            foreach (var s in Small)
            {
                var expected = Dense(x.Modules[s.Path]).Zip(Dense(y.Modules[s.Path]), (a, b) => a - b).ToArray();
                Assert.True(RelErr(DeltaOf(r, s.Path), expected) <= 1e-6, $"{method} {s.Path}");
            }
        }
        using var neg = LoraMerger.Merge([new(x, -2f)], MergeMethod.PeftLinear);
        foreach (var s in Small)
        {
            Assert.True(RelErr(DeltaOf(neg, s.Path), Dense(x.Modules[s.Path]).Select(v => -2 * v).ToArray()) <= 1e-6);
        }
    }

    [Fact]
    public void Factor_sum_and_peft_linear_follow_their_formulas_and_report_cross_terms()
    {
        using var x = Random("x", 10, Small, alpha: 6);
        using var y = Random("y", 11, Small, alpha: 12);
        const double Wx = 0.8, Wy = -1.5;
        using var fs = LoraMerger.Merge([new(x, (float)Wx), new(y, (float)Wy)], MergeMethod.FactorSum);
        using var pl = LoraMerger.Merge([new(x, (float)Wx), new(y, (float)Wy)], MergeMethod.PeftLinear);
        foreach (var s in Small)
        {
            var mx = x.Modules[s.Path];
            var my = y.Modules[s.Path];
            double sx = mx.Scaling, sy = my.Scaling;
            // factor-sum: (B_x + B_y)(w_x s_x A_x + w_y s_y A_y)
            var fsExpected = Product(Sum(mx.B.ToArray(), 1, my.B.ToArray(), 1), Sum(mx.A.ToArray(), Wx * sx, my.A.ToArray(), Wy * sy), s);
            Assert.True(RelErr(DeltaOf(fs, s.Path), fsExpected) <= 1e-6);
            // PEFT linear: (√|wx sx| B_x + √|wy sy| B_y)(sgn·√|wx sx| A_x + sgn·√|wy sy| A_y)
            double ax = Math.Sqrt(Math.Abs(Wx * sx)), ay = Math.Sqrt(Math.Abs(Wy * sy));
            var plExpected = Product(Sum(mx.B.ToArray(), ax, my.B.ToArray(), ay), Sum(mx.A.ToArray(), ax, my.A.ToArray(), -ay), s);
            Assert.True(RelErr(DeltaOf(pl, s.Path), plExpected) <= 1e-6);
            // the Gram-trace error equals the dense error
            var t = Target(s.Path, (x, Wx), (y, Wy));
            double denseE = RelErr(fsExpected, t);
            var reported = fs.CompositionError.Modules.Single(m => m.ModulePath == s.Path);
            Assert.Equal(denseE, reported.Relative, 1e-6 * Math.Max(1, denseE));
            Assert.True(reported.Relative > 0.05, "independent adapters have large cross terms");
        }
    }

    [Fact]
    public void Peft_svd_is_exact_at_full_rank_optimal_when_truncated_and_compat_squares_the_scaling()
    {
        using var x = Random("x", 12, Small, alpha: 6);
        using var y = Random("y", 13, Small, alpha: 12);
        MergeInput[] inputs = [new(x, 1f), new(y, 0.5f)];
        using var full = LoraMerger.Merge(inputs, MergeMethod.PeftSvd, new MergeOptions { SvdRank = 6 });
        Assert.True(full.CompositionError.Max <= 1e-5, full.CompositionError.ToString());
        using var cut = LoraMerger.Merge(inputs, MergeMethod.PeftSvd, new MergeOptions { SvdRank = 2 });
        using var sum = LoraMerger.Merge(inputs, MergeMethod.DeltaSum);
        var rec = Recompressor.Recompress(sum, RankSelection.Rank(2));
        using (rec.Adapter)
        {
            // delta-sum is exact, so the error against T equals the re-compression error
            Assert.Equal(rec.Error.Aggregate, rec.TargetError!.Aggregate, 1e-5);
            foreach (var s in Small)
            {
                var e1 = cut.CompositionError.Modules.Single(m => m.ModulePath == s.Path);
                var e2 = rec.Error.Modules.Single(m => m.ModulePath == s.Path);
                Assert.Equal(e2.Relative, e1.Relative, 1e-5); // both are the Eckart–Young optimum
                Assert.Equal(2, cut.Adapter!.Modules[s.Path].Rank);
            }
        }
        using var compat = LoraMerger.Merge(inputs, MergeMethod.PeftSvd, new MergeOptions { SvdRank = 6, SvdScaling = SvdScaling.PeftCompat });
        foreach (var s in Small)
        {
            double sx = x.Modules[s.Path].Scaling, sy = y.Modules[s.Path].Scaling;
            var expected = Target(s.Path, (x, sx), (y, 0.5 * sy)); // Σ w_i s_i · (s_i B_i A_i)
            Assert.True(RelErr(DeltaOf(compat, s.Path), expected) <= 1e-5);
        }
    }

    [Fact]
    public void Svd_clamp_bounds_the_factors_by_the_quantile()
    {
        using var x = Random("x", 14, Small);
        using var y = Random("y", 15, Small);
        using var r = LoraMerger.Merge([new(x, 1f), new(y, 1f)], MergeMethod.PeftSvd, new MergeOptions { SvdClamp = 0.9 });
        foreach (var m in r.Adapter!.Modules.Values)
        {
            var all = m.B.ToArray().Concat(m.A.ToArray()).ToArray();
            float hi = all.Max(v => Math.Abs(v));
            int atBound = all.Count(v => Math.Abs(v) == hi);
            Assert.True(atBound >= 2, $"{m.ModulePath}: values should be clipped at ±q");
        }
    }

    [Fact]
    public void Recompress_meets_a_target_relative_error_with_the_smallest_rank()
    {
        using var x = Random("x", 16, Small);
        using var y = Random("y", 17, Small);
        using var sum = LoraMerger.Merge([new(x, 1f), new(y, 1f)], MergeMethod.DeltaSum);
        var rec = Recompressor.Recompress(sum, RankSelection.RelativeError(0.3));
        using (rec.Adapter)
        {
            foreach (var s in Small)
            {
                var e = rec.Error.Modules.Single(m => m.ModulePath == s.Path);
                Assert.True(e.Relative <= 0.3);
                int k = rec.Adapter.Modules[s.Path].Rank;
                using var d = rec.Adapter.Modules[s.Path].Delta();
                var actual = RelErr(d.ToArray(), DeltaOf(sum, s.Path).Select(v => (double)v).ToArray());
                Assert.Equal(e.Relative, actual, 1e-5);
                if (k > 1)
                {
                    var smaller = Recompressor.Recompress(sum, RankSelection.Rank(k - 1));
                    using (smaller.Adapter) Assert.True(smaller.Error.Modules.Single(m => m.ModulePath == s.Path).Relative > 0.3);
                }
            }
        }
    }

    [Fact]
    public void Slerp_needs_two_adapters_and_factor_methods_need_equal_ranks()
    {
        using var x = Random("x", 18, Small);
        using var y = Random("y", 19, Small, rankOverride: 2);
        Assert.Throws<ArgumentException>(() => LoraMerger.Merge([new(x, 1f)], MergeMethod.Slerp));
        var e = Assert.Throws<ArgumentException>(() => LoraMerger.Merge([new(x, 1f), new(y, 1f)], MergeMethod.FactorSum));
        Assert.Contains("equal ranks", e.Message);
        Assert.Throws<ArgumentException>(() => LoraMerger.Merge([new(x, 1f), new(y, 1f)], MergeMethod.Ties, new MergeOptions { Density = -0.1 }));
    }

    private static double[] Sum(float[] a, double wa, float[] b, double wb) => a.Zip(b, (p, q) => (wa * p) + (wb * q)).ToArray();

    private static double[] Product(double[] b, double[] a, ModuleSpec s)
    {
        int r = b.Length / s.Out;
        var y = new double[s.Out * s.In];
        for (int o = 0; o < s.Out; o++)
        {
            for (int i = 0; i < s.In; i++)
            {
                double acc = 0;
                for (int j = 0; j < r; j++) acc += b[(o * r) + j] * a[(j * s.In) + i];
                y[(o * s.In) + i] = acc;
            }
        }
        return y;
    }
}

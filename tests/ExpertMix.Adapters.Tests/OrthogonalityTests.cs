// Spec §8.7: Gram-trace metrics equal dense computation, cos(i,i) = 1, gauge invariance, RMS in [0, 1], sign and floors.
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Tensors;
using static ExpertMix.Adapters.Tests.MergingFixtures;

namespace ExpertMix.Adapters.Tests;

public class OrthogonalityTests
{
    private static double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();

    [Fact]
    public void Gram_trace_cosines_equal_dense_computation()
    {
        using var x = Random("x", 31, Small, alpha: 6);
        using var y = Random("y", 32, Small, alpha: 20, rsLora: true, rankOverride: 2);
        var p = Orthogonality.Compare(new MergeInput(x, 1f), new MergeInput(y, 1f));
        Assert.Equal(3, p.CommonModules);
        double sIn = 0, sX = 0, sY = 0, sumCos2 = 0, sumCos = 0;
        foreach (var s in Small)
        {
            var dx = Dense(x.Modules[s.Path]);
            var dy = Dense(y.Modules[s.Path]);
            double inner = Dot(dx, dy), nx = Math.Sqrt(Dot(dx, dx)), ny = Math.Sqrt(Dot(dy, dy));
            double cos = inner / (nx * ny);
            var m = p.Modules.Single(q => q.ModulePath == s.Path);
            Assert.Equal(cos, m.Cosine, 1e-6 * Math.Max(1, Math.Abs(cos)));
            Assert.Equal(inner, m.Inner, 1e-6 * Math.Abs(inner));
            Assert.Equal(nx, m.NormI, 1e-6 * nx);
            Assert.Equal(ny, m.NormJ, 1e-6 * ny);
            sIn += inner;
            sX += nx * nx;
            sY += ny * ny;
            sumCos2 += cos * cos;
            sumCos += cos;
        }
        Assert.Equal(sIn / Math.Sqrt(sX * sY), p.GlobalCosine, 1e-6);
        Assert.Equal(Math.Sqrt(sumCos2 / 3), p.RmsCosine, 1e-6);
        Assert.Equal(sumCos / 3, p.MeanSignedCosine, 1e-6);
        Assert.Null(p.RawParameterCosine); // ranks differ
    }

    [Fact]
    public void Self_cosine_is_one_and_rms_lies_in_zero_one()
    {
        using var x = Random("x", 33, Small);
        using var y = Random("y", 34, Small);
        using var z = Random("z", 35, Small.Take(2));
        var m = Orthogonality.Pairwise([new(x, 1f), new(y, 1f), new(z, 2f)]);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(1, m[i, i].RmsCosine, 9);
            Assert.Equal(1, m[i, i].GlobalCosine, 9);
            Assert.Equal(1, m[i, i].MeanColumnSpaceOverlap, 9);
            Assert.Equal(1, m[i, i].MeanRowSpaceOverlap, 9);
            Assert.Equal(1, m[i, i].RawParameterCosine!.Value, 9);
            for (int j = 0; j < 3; j++)
            {
                Assert.InRange(m[i, j].RmsCosine, 0, 1);
                Assert.Equal(m[i, j].RmsCosine, m[j, i].RmsCosine, 12);
                Assert.Equal(m[i, j].GlobalCosine, m[j, i].GlobalCosine, 12);
            }
        }
        Assert.Equal(2, m[0, 2].CommonModules);
        Assert.Equal(3, m[0, 1].CommonModules);
        Assert.Equal(["x", "y", "z"], m.Names);
    }

    [Fact]
    public void Effective_delta_metrics_are_gauge_invariant_but_raw_cosine_is_not()
    {
        using var x = Random("x", 36, Small);
        using var y = Random("y", 37, Small);
        // y' = (B·G, G⁻¹·A) with G = D·R: D = diag(2, 0.5, 3), R a Givens rotation; G⁻¹ = Rᵀ·D⁻¹
        double c = Math.Cos(0.7), s = Math.Sin(0.7);
        double[,] g = { { 2 * c, -2 * s, 0 }, { 0.5 * s, 0.5 * c, 0 }, { 0, 0, 3 } };
        double[,] gInv = { { c / 2, s / 0.5, 0 }, { -s / 2, c / 0.5, 0 }, { 0, 0, 1 / 3.0 } };
        var modules = y.Modules.Values.Select(m =>
        {
            var b = m.B.ToArray();
            var a = m.A.ToArray();
            int r = m.Rank, outF = m.OutFeatures, inF = m.InFeatures;
            var b2 = new float[b.Length];
            var a2 = new float[a.Length];
            for (int o = 0; o < outF; o++)
            {
                for (int j = 0; j < r; j++)
                {
                    double acc = 0;
                    for (int k = 0; k < r; k++) acc += b[(o * r) + k] * g[k, j];
                    b2[(o * r) + j] = (float)acc;
                }
            }
            for (int j = 0; j < r; j++)
            {
                for (int i = 0; i < inF; i++)
                {
                    double acc = 0;
                    for (int k = 0; k < r; k++) acc += gInv[j, k] * a[(k * inF) + i];
                    a2[(j * inF) + i] = (float)acc;
                }
            }
            return new LoraModule(m.ModulePath, Tensor.FromArray(a2, new Shape(r, inF)), Tensor.FromArray(b2, new Shape(outF, r)), m.Scaling);
        }).ToList();
        using var yg = new LoraAdapter("yg", y.Config, modules);
        var p = Orthogonality.Compare(x, y);
        var q = Orthogonality.Compare(x, yg);
        Assert.Equal(p.RmsCosine, q.RmsCosine, 5);
        Assert.Equal(p.GlobalCosine, q.GlobalCosine, 5);
        Assert.Equal(p.MeanColumnSpaceOverlap, q.MeanColumnSpaceOverlap, 5);
        Assert.Equal(p.MeanRowSpaceOverlap, q.MeanRowSpaceOverlap, 5);
        for (int i = 0; i < 3; i++) Assert.Equal(p.Modules[i].Cosine, q.Modules[i].Cosine, 5);
        Assert.True(Math.Abs(p.RawParameterCosine!.Value - q.RawParameterCosine!.Value) > 1e-3);
    }

    [Fact]
    public void A_negative_weight_flips_the_signed_cosines_and_not_the_rms()
    {
        using var x = Random("x", 38, Small);
        using var y = Random("y", 39, Small);
        var p = Orthogonality.Compare(new MergeInput(x, 1f), new MergeInput(y, 1f));
        var q = Orthogonality.Compare(new MergeInput(x, 1f), new MergeInput(y, -2f));
        Assert.Equal(-p.GlobalCosine, q.GlobalCosine, 9);
        Assert.Equal(-p.MeanSignedCosine, q.MeanSignedCosine, 9);
        Assert.Equal(p.RmsCosine, q.RmsCosine, 9);
        // the same adapter at −1 is perfectly anti-aligned
        var anti = Orthogonality.Compare(new MergeInput(x, 1f), new MergeInput(x, -1f));
        Assert.Equal(-1, anti.GlobalCosine, 9);
        Assert.Equal(1, anti.RmsCosine, 9);
    }

    [Fact]
    public void Activation_overlap_equals_dense_and_floor_follows_the_formula()
    {
        using var x = Random("x", 40, Small);
        using var y = Random("y", 41, Small);
        var s0 = Small[0];
        var rng = new Rng(3);
        var probe = Tensor.Randn(new Shape(6, s0.In), rng); // [n, in]
        using var probeOwner = probe;
        var p = Orthogonality.Compare(x, y, new Dictionary<string, Tensor> { [s0.Path] = probe });
        var xs = probe.ToArray();
        double[] Apply(double[] w)
        {
            var outp = new double[6 * s0.Out];
            for (int n = 0; n < 6; n++)
            {
                for (int o = 0; o < s0.Out; o++)
                {
                    double acc = 0;
                    for (int i = 0; i < s0.In; i++) acc += w[(o * s0.In) + i] * xs[(n * s0.In) + i];
                    outp[(n * s0.Out) + o] = acc;
                }
            }
            return outp;
        }
        var yx = Apply(Dense(x.Modules[s0.Path]));
        var yy = Apply(Dense(y.Modules[s0.Path]));
        double expected = Dot(yx, yy) / Math.Sqrt(Dot(yx, yx) * Dot(yy, yy));
        var m = p.Modules.Single(q => q.ModulePath == s0.Path);
        Assert.Equal(expected, m.ActivationCosine!.Value, 6);
        Assert.Null(p.Modules.Single(q => q.ModulePath == Small[1].Path).ActivationCosine);
        Assert.Equal(Math.Abs(expected), p.ActivationRmsCosine!.Value, 6);
        // √(2/π)/√(768·2304) ≈ 6.0e-4 (spec §5 example)
        Assert.InRange(Orthogonality.RandomFloor(768, 2304), 5.95e-4, 6.05e-4);
        Assert.Equal(p.RmsCosine / p.RandomFloor, p.RmsToFloor, 9);
    }

    [Fact]
    public void Shared_column_space_gives_full_overlap_and_independent_random_spaces_do_not()
    {
        using var x = Random("x", 42, Small);
        // y shares x's B (column space) but has its own A
        var modules = x.Modules.Values.Select(m =>
        {
            var rng = new Rng(99);
            var a = Tensor.Randn(new Shape(m.Rank, m.InFeatures), rng); // [r, in]
            return new LoraModule(m.ModulePath, a, m.B.Detach(), m.Scaling);
        }).ToList();
        using var y = new LoraAdapter("y", x.Config, modules);
        var p = Orthogonality.Compare(x, y);
        Assert.Equal(1, p.MeanColumnSpaceOverlap, 6);
        Assert.All(p.Modules, m => Assert.Equal(1, m.MaxColumnCosine, 6));
        Assert.True(p.MeanRowSpaceOverlap < 1);
    }
}

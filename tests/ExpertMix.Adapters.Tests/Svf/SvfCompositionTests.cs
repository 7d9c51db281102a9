// Spec §4 properties of W'(z), the §6 closed-form gradient against f64 finite differences, and composition caching.
using ExpertMix.Adapters.Svf;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests.Svf;

public sealed class SvfCompositionTests
{
    private static (float[] W, float[] U, float[] S, float[] V) Basis(int m, int n, int seed)
    {
        var w = SvfFixtures.Normal(m * n, new Rng((ulong)seed), 0.05);
        var svd = FullSvd.Decompose(w, m, n);
        return (w, F(svd.U), F(svd.Sigma), F(svd.V));
    }

    private static float[] F(double[] x) => Array.ConvertAll(x, v => (float)v);

    private static double RelDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            num += (double)(a[i] - b[i]) * (a[i] - b[i]);
            den += (double)b[i] * b[i];
        }
        return Math.Sqrt(num / den);
    }

    [Theory]
    [InlineData(48, 32)]
    [InlineData(32, 80)]
    public void UniformMaskGivesTheBaseWeight(int m, int n)
    {
        var (w, u, s, v) = Basis(m, n, 3);
        foreach (float zv in new[] { 1f, 0.525f, 0.01f })
        {
            var z = Enumerable.Repeat(zv, s.Length).ToArray();
            var wp = new float[m * n];
            SvfMath.Compose(u, s, v, z, m, n, wp);
            double rel = RelDiff(wp, w);
            Assert.True(rel <= 1e-6, $"uniform z={zv}: ‖W' − W‖/‖W‖ = {rel:E2} > 1e-6");
        }
    }

    [Fact]
    public void ScaleInvarianceNuclearNormAndMaskRange()
    {
        int m = 40, n = 24;
        var (_, u, s, v) = Basis(m, n, 5);
        var rng = new Rng(11);
        var p = SvfFixtures.Normal(s.Length, rng, 2);
        var z = new float[s.Length];
        SvfMath.Mask(p, 1f, z);
        Assert.All(z, x => Assert.True(x is > 0 and < 1));
        var z3 = Array.ConvertAll(z, x => x * 3f);
        var a = new float[m * n];
        var b = new float[m * n];
        SvfMath.Compose(u, s, v, z, m, n, a);
        SvfMath.Compose(u, s, v, z3, m, n, b);
        Assert.True(RelDiff(b, a) <= 1e-6, $"W'(3z) differs from W'(z) by {RelDiff(b, a):E2}");
        // nuclear norm of W' = Σ singular values of W' (recomputed by SVD) equals Σσ
        var svd = FullSvd.Decompose(a, m, n);
        double nuclear = svd.Sigma.Sum(), expected = s.Sum(x => (double)x);
        Assert.True(Math.Abs(nuclear - expected) <= 1e-5 * expected, $"‖W'‖_* = {nuclear} but Σσ = {expected}");
    }

    [Fact]
    public void ClosedFormGradientMatchesFiniteDifferences()
    {
        int m = 9, n = 7, r = 7;
        var rng = new Rng(21);
        var uc = SvfFixtures.Orthonormal(m, r, rng);
        var vc = SvfFixtures.Orthonormal(n, r, rng);
        var u = new double[m * r];
        var v = new double[n * r];
        for (int k = 0; k < r; k++)
        {
            for (int i = 0; i < m; i++) u[(i * r) + k] = uc[k][i];
            for (int j = 0; j < n; j++) v[(j * r) + k] = vc[k][j];
        }
        var sigma = Enumerable.Range(0, r).Select(i => 2.0 / (i + 1)).ToArray();
        var p = Enumerable.Range(0, r).Select(_ => rng.NextNormal()).ToArray();
        var g = Enumerable.Range(0, m * n).Select(_ => rng.NextNormal()).ToArray();
        foreach (double maxMult in new[] { 1.0, 2.5 })
        {
            // h_i = u_iᵀ G v_i in f64
            var h = new double[r];
            for (int k = 0; k < r; k++)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++) h[k] += u[(i * r) + k] * g[(i * n) + j] * v[(j * r) + k];
                }
            }
            var grad = SvfMath.GradientToP(h, sigma, p, maxMult);
            double Loss(double[] pp)
            {
                var w = SvfMath.ComposeReference(u, sigma, v, pp, maxMult, m, n);
                double l = 0;
                for (int i = 0; i < w.Length; i++) l += w[i] * g[i];
                return l;
            }
            const double Eps = 1e-6;
            for (int k = 0; k < r; k++)
            {
                var plus = (double[])p.Clone();
                var minus = (double[])p.Clone();
                plus[k] += Eps;
                minus[k] -= Eps;
                double fd = (Loss(plus) - Loss(minus)) / (2 * Eps);
                Assert.True(Math.Abs(fd - grad[k]) <= 1e-7 + (1e-6 * Math.Abs(fd)), $"max_mult {maxMult}, p[{k}]: closed form {grad[k]} vs finite difference {fd}");
            }
        }
    }

    [Fact]
    public void FloatGradientPathAgreesWithDouble()
    {
        int m = 20, n = 12;
        var (_, u, s, v) = Basis(m, n, 8);
        var rng = new Rng(4);
        var g = SvfFixtures.Normal(m * n, rng);
        var p = SvfFixtures.Normal(s.Length, rng);
        var h = SvfMath.Projections(u, v, g, m, n, s.Length);
        var grad = SvfMath.GradientToP(h, Array.ConvertAll(s, x => (double)x), Array.ConvertAll(p, x => (double)x), 1);
        // reference: dL/dp by f64 finite differences of ⟨G, W'(p)⟩ on the same (f32-rounded) factors
        var ud = Array.ConvertAll(u, x => (double)x);
        var vd = Array.ConvertAll(v, x => (double)x);
        var sd = Array.ConvertAll(s, x => (double)x);
        for (int k = 0; k < s.Length; k += 3)
        {
            var plus = Array.ConvertAll(p, x => (double)x);
            var minus = (double[])plus.Clone();
            plus[k] += 1e-6;
            minus[k] -= 1e-6;
            var wp = SvfMath.ComposeReference(ud, sd, vd, plus, 1, m, n);
            var wm = SvfMath.ComposeReference(ud, sd, vd, minus, 1, m, n);
            double fd = 0;
            for (int i = 0; i < wp.Length; i++) fd += (wp[i] - wm[i]) * g[i] / 2e-6;
            Assert.True(Math.Abs(fd - grad[k]) <= 1e-5 * (1 + Math.Abs(fd)), $"p[{k}]: {grad[k]} vs {fd}");
        }
    }

    [Fact]
    public void Composition_is_cached_and_redone_when_p_changes_in_place()
    {
        using var model = ExpertMix.Adapters.Tests.Lora.LoraFixtures.Load("tiny-gpt2");
        // composition does not depend on the factors' values: random full-size U [m, r], σ [r], V [n, r] stand in for
        // the SVD (timings live in `expertmix bench svf`)
        var rng = new Rng(2);
        var matrices = SvfTargets.Mlp.Resolve(model).Select(slot =>
        {
            int m = slot.Module.OutFeatures, n = slot.Module.InFeatures, r = Math.Min(m, n);
            var u = TensorScope.Forget(Tensor.FromArray(SvfFixtures.Normal(m * r, rng, 0.03), new Shape(m, r)));   // [m, r]
            var s = TensorScope.Forget(Tensor.FromArray(Enumerable.Range(0, r).Select(i => 1f / (i + 1)).ToArray(), new Shape(r)));
            var v = TensorScope.Forget(Tensor.FromArray(SvfFixtures.Normal(n * r, rng, 0.03), new Shape(n, r)));   // [n, r]
            return new SvfMatrixBasis(slot.ModulePath + ".weight", u, s, v, "");
        }).ToList();
        using var basis = SvfBasis.FromMatrices(matrices, "gpt2-small", SvfTargets.Mlp);
        Assert.Equal(4, basis.Matrices.Count);
        using var host = new SvfHost(model, basis);
        using var expert = SvfExpert.CreateInitial("e", basis, new Rng(1));
        host.Apply(expert);
        ComposeAll(host);
        ComposeAll(host);
        Assert.All(host.Linears, l => Assert.Equal(1, l.Version));
        foreach (var (_, p) in expert.Parameters) p.Span[0] += 0.5f;   // an optimiser step changes p in place → recompose
        ComposeAll(host);
        Assert.All(host.Linears, l => Assert.Equal(2, l.Version));
    }

    private static void ComposeAll(SvfHost host)
    {
        foreach (var l in host.Linears)
        {
            using var w = l.EffectiveWeight();   // composes W' when p changed (cached afterwards)
        }
    }
}

// LayerNorm / RMSNorm: SIMD vs scalar twins, fused vs composed forward, gradient checks, thread-count identity.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Testing;
using static ExpertMix.Tensors.Tests.NnTestUtil;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public class NormTests
{
    [Fact]
    [Trait("Category", "Kernels")]
    public void LayerNorm_simd_matches_scalar_twin_at_every_length()
    {
        var rng = new Rng(11);
        for (int n = 0; n <= 256; n++)
        {
            var x = RandomArray(rng, n, 2f);
            var w = RandomArray(rng, n);
            var b = RandomArray(rng, n);
            var dy = RandomArray(rng, n);
            foreach (var (wi, bi) in new[] { (w, b), (Array.Empty<float>(), Array.Empty<float>()), (w, Array.Empty<float>()) })
            {
                var e = new float[n];
                var a = Poisoned(n);
                var (me, re) = NormKernels.LayerNormScalar(x, wi, bi, 1e-5f, e);
                var (ma, ra) = NormKernels.LayerNorm(x, wi, bi, 1e-5f, a);
                RowScaledClose(e, a.AsSpan(0, n), Tolerances.SimdRelative, $"layer_norm n={n}");
                TailIsNaN(a, n, $"layer_norm n={n}");
                if (n > 0) RowScaledClose([me, re], [ma, ra], Tolerances.SimdRelative, $"layer_norm stats n={n}", MaxAbs(x));

                var inPlace = (float[])x.Clone();
                NormKernels.LayerNorm(inPlace, wi, bi, 1e-5f, inPlace);
                TensorAssert.BitEqual(a.AsSpan(0, n), inPlace, $"layer_norm in place n={n}");

                var ge = new float[n];
                var ga = Poisoned(n);
                NormKernels.LayerNormBackwardScalar(x, dy, wi, me, re, new float[n], ge);
                NormKernels.LayerNormBackward(x, dy, wi, me, re, new float[n], ga);
                RowScaledClose(ge, ga.AsSpan(0, n), 4 * Tolerances.SimdRelative, $"layer_norm backward n={n}", re * MaxAbs(dy) * Math.Max(1, MaxAbs(wi)));
                TailIsNaN(ga, n, $"layer_norm backward n={n}");
            }
        }
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void RmsNorm_simd_matches_scalar_twin_at_every_length()
    {
        var rng = new Rng(12);
        for (int n = 0; n <= 256; n++)
        {
            var x = RandomArray(rng, n, 2f);
            var w = RandomArray(rng, n);
            var dy = RandomArray(rng, n);
            foreach (var wi in new[] { w, Array.Empty<float>() })
            {
                var e = new float[n];
                var a = Poisoned(n);
                float re = NormKernels.RmsNormScalar(x, wi, 1e-6f, e);
                float ra = NormKernels.RmsNorm(x, wi, 1e-6f, a);
                TensorAssert.RelativeClose(e, a.AsSpan(0, n), Tolerances.SimdRelative, $"rms_norm n={n}");
                TailIsNaN(a, n, $"rms_norm n={n}");
                if (n > 0) TensorAssert.RelativeClose([re], [ra], Tolerances.SimdRelative, $"rms_norm rstd n={n}");

                var inPlace = (float[])x.Clone();
                NormKernels.RmsNorm(inPlace, wi, 1e-6f, inPlace);
                TensorAssert.BitEqual(a.AsSpan(0, n), inPlace, $"rms_norm in place n={n}");

                var ge = new float[n];
                var ga = Poisoned(n);
                NormKernels.RmsNormBackwardScalar(x, dy, wi, re, new float[n], ge);
                NormKernels.RmsNormBackward(x, dy, wi, re, new float[n], ga);
                RowScaledClose(ge, ga.AsSpan(0, n), 4 * Tolerances.SimdRelative, $"rms_norm backward n={n}", re * MaxAbs(dy) * Math.Max(1, MaxAbs(wi)));
                TailIsNaN(ga, n, $"rms_norm backward n={n}");
            }
        }
    }

    [Fact]
    public void Fused_layer_norm_matches_composed_primitives()
    {
        var rng = new Rng(13);
        const int n = 96;
        using var x = Randn(rng, 4, 5, n);
        using var w = Randn(rng, n);
        using var b = Randn(rng, n);
        using var y = Ops.LayerNorm(x, w, b, 1e-5f);
        var xs = x.ToArray();
        var ws = w.ToArray();
        var bs = b.ToArray();
        var composed = new float[xs.Length];
        for (int r = 0; r < 20; r++)
        {
            // torch: mean = x.mean(-1); var = ((x - mean)**2).mean(-1); (x - mean) / sqrt(var + eps) * w + b
            float mean = 0f;
            for (int i = 0; i < n; i++) mean += xs[r * n + i];
            mean /= n;
            var c = new float[n];
            for (int i = 0; i < n; i++) c[i] = xs[r * n + i] - mean;
            float v = 0f;
            for (int i = 0; i < n; i++) v += c[i] * c[i];
            v /= n;
            float std = MathF.Sqrt(v + 1e-5f);
            for (int i = 0; i < n; i++) composed[r * n + i] = c[i] / std * ws[i] + bs[i];
        }
        TensorAssert.Close(composed, y.ToArray(), Tolerances.FusedAbs, 0, "fused vs composed LayerNorm");
    }

    [Fact]
    public void Fused_rms_norm_matches_composed_hf_llama_formula()
    {
        var rng = new Rng(14);
        const int n = 64;
        using var x = Randn(rng, 3, 7, n);
        using var w = Randn(rng, n);
        using var y = Ops.RmsNorm(x, w, 1e-6f);
        var xs = x.ToArray();
        var ws = w.ToArray();
        var composed = new float[xs.Length];
        for (int r = 0; r < 21; r++)
        {
            // HF LlamaRMSNorm: variance = x.pow(2).mean(-1); x = x * torch.rsqrt(variance + eps); weight * x
            float sq = 0f;
            for (int i = 0; i < n; i++) sq += xs[r * n + i] * xs[r * n + i];
            float rs = 1f / MathF.Sqrt(sq / n + 1e-6f);
            for (int i = 0; i < n; i++) composed[r * n + i] = ws[i] * (xs[r * n + i] * rs);
        }
        TensorAssert.Close(composed, y.ToArray(), Tolerances.FusedAbs, 0, "fused vs composed RmsNorm");
    }

    [Fact]
    public void LayerNorm_backward_matches_finite_differences()
    {
        var rng = new Rng(15);
        using var x = Randn(rng, 2, 3, 8);
        using var w = Randn(rng, 8);
        using var b = Randn(rng, 8);
        GradCheck.Check("LayerNorm", t => Ops.LayerNorm(t[0], t[1], t[2], 1e-5f), v => LayerNormRef(v[0], v[1], v[2], 8, 1e-5), [x, w, b]);
        GradCheck.Check("LayerNorm(no affine)", t => Ops.LayerNorm(t[0], null, null, 1e-5f), v => LayerNormRef(v[0], null, null, 8, 1e-5), [x]);
    }

    [Fact]
    public void RmsNorm_backward_matches_finite_differences()
    {
        var rng = new Rng(16);
        using var x = Randn(rng, 5, 12);
        using var w = Randn(rng, 12);
        GradCheck.Check("RmsNorm", t => Ops.RmsNorm(t[0], t[1], 1e-6f), v => RmsNormRef(v[0], v[1], 12, 1e-6), [x, w]);
        GradCheck.Check("RmsNorm(no weight)", t => Ops.RmsNorm(t[0], null, 1e-5f), v => RmsNormRef(v[0], null, 12, 1e-5), [x]);
    }

    [Fact]
    public void Norms_are_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(17);
        using var x = Randn(rng, 67, 192);
        using var w = Randn(rng, 192);
        using var b = Randn(rng, 192);
        using var g = Randn(rng, 67, 192);
        foreach (var rms in new[] { false, true })
        {
            SameForAnyThreadCount(() =>
            {
                using var xl = x.Clone();
                using var wl = w.Clone();
                using var bl = b.Clone();
                xl.RequiresGrad = wl.RequiresGrad = bl.RequiresGrad = true;
                using var y = rms ? Ops.RmsNorm(xl, wl) : Ops.LayerNorm(xl, wl, bl);
                y.Backward(g);
                return [y.ToArray(), xl.Grad!.ToArray(), wl.Grad!.ToArray(), rms ? [] : bl.Grad!.ToArray()];
            }, rms ? "RmsNorm" : "LayerNorm");
        }
    }

    [Fact]
    public void Norms_reject_mismatched_weight_shapes()
    {
        using var x = Tensor.Zeros(new Shape(2, 4));
        using var w = Tensor.Zeros(new Shape(5));
        Assert.Throws<ArgumentException>(() => Ops.LayerNorm(x, w, null));
        Assert.Throws<ArgumentException>(() => Ops.RmsNorm(x, w));
    }

    private static double[] LayerNormRef(double[] x, double[]? w, double[]? b, int n, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double mean = 0, v = 0;
            for (int i = 0; i < n; i++) mean += x[r * n + i];
            mean /= n;
            for (int i = 0; i < n; i++) v += (x[r * n + i] - mean) * (x[r * n + i] - mean);
            v /= n;
            for (int i = 0; i < n; i++) y[r * n + i] = (x[r * n + i] - mean) / Math.Sqrt(v + eps) * (w?[i] ?? 1) + (b?[i] ?? 0);
        }
        return y;
    }

    private static double[] RmsNormRef(double[] x, double[]? w, int n, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double sq = 0;
            for (int i = 0; i < n; i++) sq += x[r * n + i] * x[r * n + i];
            double rs = 1 / Math.Sqrt(sq / n + eps);
            for (int i = 0; i < n; i++) y[r * n + i] = (w?[i] ?? 1) * x[r * n + i] * rs;
        }
        return y;
    }
}

// AdamW: kernel SIMD vs scalar twin, double-precision reference of torch's formula, PyTorch goldens, groups, frozen params.
using ExpertMix.Tensors.Optim;
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")] // a test here changes the global Engine.Threads
public class OptimAdamWTests
{
    private static Tensor Param(string name, float[] values, params int[] shape)
    {
        var t = Tensor.FromArray(values, new Shape(shape));
        t.Name = name;
        t.RequiresGrad = true;
        return t;
    }

    private static float[] Random(int n, ulong seed, float scale = 1f)
    {
        var rng = new Rng(seed);
        var r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float)rng.NextNormal() * scale;
        return r;
    }

    [Theory]
    [Trait("Category", "Kernels")]
    [InlineData(false)]
    [InlineData(true)]
    public void Kernel_simd_is_bit_identical_to_scalar_twin_at_every_length(bool amsgrad)
    {
        var s = AdamWScalars.For(new AdamWOptions(1e-2, 0.9, 0.999, 1e-8, 0.1, amsgrad), 1e-2, 3);
        for (int n = 0; n <= 256; n++)
        {
            var g = Random(n, (ulong)n + 1, 0.1f);
            float[] Init(ulong seed, bool positive) => Random(n + 3, seed).Select(x => positive ? MathF.Abs(x) * 1e-3f : x).ToArray();
            var (p1, m1, v1, x1) = (Init(10, false), Init(11, false), Init(12, true), Init(13, true));
            var (p2, m2, v2, x2) = ((float[])p1.Clone(), (float[])m1.Clone(), (float[])v1.Clone(), (float[])x1.Clone());
            foreach (var a in new[] { p2, m2, v2, x2 }) a.AsSpan(n).Fill(float.NaN); // poisoned tails must stay untouched

            AdamWKernel.UpdateScalar(g, p1.AsSpan(0, n), m1.AsSpan(0, n), v1.AsSpan(0, n), amsgrad ? x1.AsSpan(0, n) : default, s);
            AdamWKernel.Update(g, p2.AsSpan(0, n), m2.AsSpan(0, n), v2.AsSpan(0, n), amsgrad ? x2.AsSpan(0, n) : default, s);

            TensorAssert.BitEqual(p1.AsSpan(0, n), p2.AsSpan(0, n), $"param n={n}");
            TensorAssert.BitEqual(m1.AsSpan(0, n), m2.AsSpan(0, n), $"exp_avg n={n}");
            TensorAssert.BitEqual(v1.AsSpan(0, n), v2.AsSpan(0, n), $"exp_avg_sq n={n}");
            if (amsgrad) TensorAssert.BitEqual(x1.AsSpan(0, n), x2.AsSpan(0, n), $"max_exp_avg_sq n={n}");
            foreach (var a in new[] { p2, m2, v2, x2 }) Assert.All(a.Skip(n), x => Assert.True(float.IsNaN(x), $"tail written at n={n}"));
        }
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Kernel_rejects_mismatched_lengths()
    {
        var s = AdamWScalars.For(new AdamWOptions(), 1e-3, 1);
        var ex = Assert.Throws<ArgumentException>(() => AdamWKernel.Update(new float[3], new float[4], new float[4], new float[4], default, s));
        Assert.Contains("grad 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Kernel_propagates_nan_gradient_like_torch()
    {
        var s = AdamWScalars.For(new AdamWOptions(), 1e-3, 1);
        var p = new[] { 1f, 2f };
        var m = new float[2];
        var v = new float[2];
        AdamWKernel.Update([float.NaN, 1f], p, m, v, default, s);
        Assert.True(float.IsNaN(p[0]) && float.IsNaN(m[0]) && float.IsNaN(v[0]));
        Assert.True(float.IsFinite(p[1]));
    }

    /// <summary>torch 1.13 _single_tensor_adamw in double precision.</summary>
    private static void ReferenceStep(double[] p, double[] g, double[] m, double[] v, double[]? vmax, AdamWOptions o, double lr, int t)
    {
        double bc1 = 1 - Math.Pow(o.Beta1, t), bc2 = 1 - Math.Pow(o.Beta2, t);
        for (int i = 0; i < p.Length; i++)
        {
            p[i] *= 1 - lr * o.WeightDecay;
            m[i] = o.Beta1 * m[i] + (1 - o.Beta1) * g[i];
            v[i] = o.Beta2 * v[i] + (1 - o.Beta2) * g[i] * g[i];
            double vv = v[i];
            if (vmax is not null) vv = vmax[i] = Math.Max(vmax[i], v[i]);
            p[i] -= lr / bc1 * m[i] / (Math.Sqrt(vv) / Math.Sqrt(bc2) + o.Eps);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamW_matches_double_precision_reference_over_several_steps(bool amsgrad)
    {
        var opts = new AdamWOptions(3e-3, 0.85, 0.99, 1e-6, 0.05, amsgrad);
        const int n = 301;
        var init = Random(n, 7);
        using var p = Param("w", init, n);
        using var opt = new AdamW([p], opts);
        double[] rp = Array.ConvertAll(init, x => (double)x), rm = new double[n], rv = new double[n];
        double[]? rx = amsgrad ? new double[n] : null;
        for (int t = 1; t <= 8; t++)
        {
            var g = Random(n, 100 + (ulong)t, 1f / t);
            p.Grad = TensorScope.Forget(Tensor.FromArray(g, new Shape(n)));
            opt.Step();
            p.ZeroGrad();
            ReferenceStep(rp, Array.ConvertAll(g, x => (double)x), rm, rv, rx, opts, opts.LearningRate, t);
            TensorAssert.Close(rp, p.ToDoubleArray(), 1e-6, 1e-5, $"param after step {t}");
        }
        Assert.Equal(8, opt.StepOf("w"));
    }

    [Fact]
    public void AdamW_reproduces_torch_two_group_trajectory_bit_for_bit()
    {
        var gf = GoldenFile.LoadTensorsGolden("adamw.safetensors");
        using var p0 = Param("p0", gf["adamw.p0.init"].Data, gf["adamw.p0.init"].Shape);
        using var p1 = Param("p1", gf["adamw.p1.init"].Data, gf["adamw.p1.init"].Shape);
        using var opt = new AdamW([
            new ParameterGroup("decay", [p0], new AdamWOptions(1e-2, 0.9, 0.999, 1e-8, 0.1)),
            new ParameterGroup("no_decay", [p1], new AdamWOptions(1e-2, 0.9, 0.999, 1e-8, 0.0)),
        ]);
        for (int t = 1; t <= 5; t++)
        {
            p0.Grad = TensorScope.Forget(gf[$"adamw.p0.grad.{t}"].ToTensor());
            p1.Grad = TensorScope.Forget(gf[$"adamw.p1.grad.{t}"].ToTensor());
            opt.Step();
            opt.ZeroGrad();
            TensorAssert.BitEqual(gf[$"adamw.p0.step.{t}"].Data, p0.Span, $"p0 after step {t}");
            TensorAssert.BitEqual(gf[$"adamw.p1.step.{t}"].Data, p1.Span, $"p1 after step {t}");
        }
        using var state = opt.GetState();
        TensorAssert.BitEqual(gf["adamw.p0.exp_avg"].Data, state.Tensors["p0.exp_avg"].Span, "p0 exp_avg");
        TensorAssert.BitEqual(gf["adamw.p0.exp_avg_sq"].Data, state.Tensors["p0.exp_avg_sq"].Span, "p0 exp_avg_sq");
        TensorAssert.BitEqual(gf["adamw.p1.exp_avg_sq"].Data, state.Tensors["p1.exp_avg_sq"].Span, "p1 exp_avg_sq");
    }

    [Fact]
    public void AdamW_amsgrad_reproduces_torch_bit_for_bit()
    {
        var gf = GoldenFile.LoadTensorsGolden("adamw.safetensors");
        using var q = Param("q", gf["adamw_amsgrad.q.init"].Data, gf["adamw_amsgrad.q.init"].Shape);
        using var opt = new AdamW([q], new AdamWOptions(5e-3, 0.9, 0.999, 1e-8, 0.05, Amsgrad: true));
        for (int t = 1; t <= 5; t++)
        {
            q.Grad = TensorScope.Forget(gf[$"adamw_amsgrad.q.grad.{t}"].ToTensor());
            opt.Step();
            TensorAssert.BitEqual(gf[$"adamw_amsgrad.q.step.{t}"].Data, q.Span, $"q after step {t}");
        }
        using var state = opt.GetState();
        TensorAssert.BitEqual(gf["adamw_amsgrad.q.max_exp_avg_sq"].Data, state.Tensors["q.max_exp_avg_sq"].Span, "max_exp_avg_sq");
        Assert.NotEqual(gf["adamw_amsgrad.q.max_exp_avg_sq"].Data, gf["adamw_amsgrad.q.exp_avg_sq"].Data);
    }

    [Fact]
    public void Frozen_and_gradless_parameters_are_skipped()
    {
        using var a = Param("a", [1f, 2f, 3f], 3);
        using var frozen = Param("frozen", [4f, 5f], 2);
        using var noGrad = Param("nograd", [6f], 1);
        frozen.RequiresGrad = false;
        frozen.Grad = TensorScope.Forget(Tensor.FromArray([1f, 1f]));
        a.Grad = TensorScope.Forget(Tensor.FromArray([0.5f, -0.5f, 1f]));
        using var opt = new AdamW([a, frozen, noGrad], new AdamWOptions(0.1, WeightDecay: 0.5));
        opt.Step();
        Assert.Equal(new[] { 4f, 5f }, frozen.Span.ToArray());
        Assert.Equal(new[] { 6f }, noGrad.Span.ToArray());
        Assert.NotEqual(new[] { 1f, 2f, 3f }, a.Span.ToArray());
        Assert.Equal(1, opt.StepOf("a"));
        Assert.Equal(0, opt.StepOf("frozen"));
        Assert.Equal(0, opt.StepOf("nograd"));
        using var state = opt.GetState();
        Assert.Equal(new[] { "a.exp_avg", "a.exp_avg_sq", "a.step" }, state.Tensors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Steps_are_bit_identical_for_any_thread_count()
    {
        const int n = 200_003; // several Par.For chunks
        var init = Random(n, 5);
        float[] Run(int threads)
        {
            int saved = Engine.Threads;
            try
            {
                Engine.Threads = threads;
                using var p = Param("w", init, n);
                using var opt = new AdamW([p], new AdamWOptions(1e-2));
                for (int t = 1; t <= 3; t++)
                {
                    p.Grad = TensorScope.Forget(Tensor.FromArray(Random(n, 50 + (ulong)t, 0.1f), new Shape(n)));
                    opt.Step();
                    p.ZeroGrad();
                }
                return p.Span.ToArray();
            }
            finally
            {
                Engine.Threads = saved;
            }
        }
        TensorAssert.BitEqual(Run(1), Run(3), "1 vs 3 threads");
    }

    [Fact]
    public void Construction_rejects_unnamed_duplicate_and_non_f32_parameters()
    {
        using var unnamed = Tensor.Zeros(new Shape(2));
        Assert.Contains("no Name", Assert.Throws<ArgumentException>(() => new AdamW([unnamed])).Message, StringComparison.Ordinal);
        using var a = Param("x", [1f], 1);
        using var b = Param("x", [2f], 1);
        Assert.Contains("two parameters are named 'x'", Assert.Throws<ArgumentException>(() => new AdamW([a, b])).Message, StringComparison.Ordinal);
        Assert.Contains("more than one group", Assert.Throws<ArgumentException>(() => new AdamW([a, a])).Message, StringComparison.Ordinal);
        using var h = Tensor.Zeros(new Shape(2), DType.BF16);
        h.Name = "h";
        Assert.Contains("F32", Assert.Throws<ArgumentException>(() => new AdamW([h])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([a], new AdamWOptions(Beta1: 1.0)));
    }

    [Fact]
    public void Gradient_of_wrong_shape_is_reported()
    {
        using var a = Param("a", [1f, 2f], 2);
        a.Grad = TensorScope.Forget(Tensor.FromArray([1f, 2f, 3f]));
        using var opt = new AdamW([a]);
        Assert.Contains("does not match", Assert.Throws<InvalidOperationException>(opt.Step).Message, StringComparison.Ordinal);
    }
}

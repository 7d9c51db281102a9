// Global-norm gradient clipping vs torch.nn.utils.clip_grad_norm_ goldens and a double-precision reference.
using ExpertMix.Tensors.Optim;
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class OptimClippingTests
{
    private static Tensor[] WithGrads(params float[][] grads) => grads.Select((g, i) =>
    {
        var p = Tensor.Zeros(new Shape(g.Length));
        p.Name = "p" + i;
        p.RequiresGrad = true;
        p.Grad = TensorScope.Forget(Tensor.FromArray(g));
        return p;
    }).ToArray();

    [Theory]
    [InlineData("clip_big", 1.0)]
    [InlineData("clip_small", 100.0)]
    public void Clipping_matches_torch_golden(string name, double maxNorm)
    {
        var gf = GoldenFile.LoadTensorsGolden("adamw.safetensors");
        Assert.Contains($"\"max_norm\": {maxNorm:0.0}", gf.Meta("case." + name), StringComparison.Ordinal);
        var ps = Enumerable.Range(0, 3).Select(i =>
        {
            var g = gf[$"{name}.in{i}"];
            var p = Tensor.Zeros(new Shape(g.Shape));
            p.Name = "p" + i;
            p.RequiresGrad = true;
            p.Grad = TensorScope.Forget(g.ToTensor());
            return p;
        }).ToArray();
        float total = GradClipping.ClipGlobalNorm(ps, maxNorm);
        float expected = gf[$"{name}.total_norm"].Data[0];
        Assert.True(Math.Abs(total - expected) <= 2e-6 * expected, $"total norm {total:R} vs torch {expected:R}");
        for (int i = 0; i < 3; i++) TensorAssert.Close(gf[$"{name}.out{i}"].Data, ps[i].Grad!.Span, 0, 1e-6, $"{name} grad {i}");
        foreach (var p in ps) p.Dispose();
    }

    [Fact]
    public void Clipping_scales_to_max_norm_like_double_reference()
    {
        var g = new[] { new[] { 3f, -4f }, new[] { 12f } }; // norms 5 and 12 -> total 13
        var ps = WithGrads(g);
        float total = GradClipping.ClipGlobalNorm(ps, 6.5);
        Assert.Equal(13f, total);
        double coef = 6.5 / (13 + 1e-6);
        TensorAssert.Close(new[] { 3 * coef, -4 * coef }, ps[0].Grad!.ToDoubleArray(), 1e-6);
        TensorAssert.Close(new[] { 12 * coef }, ps[1].Grad!.ToDoubleArray(), 1e-6);
        foreach (var p in ps) p.Dispose();
    }

    [Fact]
    public void Gradients_below_the_limit_are_untouched()
    {
        var ps = WithGrads([0.1f, 0.2f], [0.3f]);
        float total = GradClipping.ClipGlobalNorm(ps, 1.0);
        Assert.Equal((float)Math.Sqrt(0.14), total, 6);
        Assert.Equal(new[] { 0.1f, 0.2f }, ps[0].Grad!.Span.ToArray());
        Assert.Equal(new[] { 0.3f }, ps[1].Grad!.Span.ToArray());
        foreach (var p in ps) p.Dispose();
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Non_finite_norm_is_reported_and_not_applied(float bad)
    {
        var ps = WithGrads([1f, bad], [2f]);
        float total = GradClipping.ClipGlobalNorm(ps, 0.5);
        Assert.False(float.IsFinite(total));
        Assert.Equal(new[] { 2f }, ps[1].Grad!.Span.ToArray());
        Assert.Equal(1f, ps[0].Grad!.Span[0]);
        var ex = Assert.Throws<InvalidOperationException>(() => GradClipping.ClipGlobalNorm(ps, 0.5, errorIfNonFinite: true));
        Assert.Contains("cannot be clipped", ex.Message, StringComparison.Ordinal);
        foreach (var p in ps) p.Dispose();
    }

    [Fact]
    public void No_gradients_give_zero_norm_and_negative_limit_throws()
    {
        using var p = Tensor.Zeros(new Shape(3));
        Assert.Equal(0f, GradClipping.ClipGlobalNorm([p], 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClipping.ClipGlobalNorm([p], -1.0));
    }
}

// Attention masks of shape [B, 1, 1, S] broadcast over the queries exactly like PyTorch's additive-mask broadcasting.
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class AttentionMaskBroadcastTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Query_broadcast_mask_equals_the_expanded_mask_forward_and_backward(bool causal)
    {
        const int b = 2, h = 2, t = 3, s = 5, dh = 4;
        var rng = new Random(7);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var qd = Rand(b * h * t * dh);
        var kd = Rand(b * h * s * dh);
        var vd = Rand(b * h * s * dh);
        var maskRow = new float[b * s];
        maskRow[s + 0] = float.MinValue; // batch 1: key 0 is padding
        maskRow[s + 1] = -2.5f;
        var maskFull = new float[b * t * s];
        for (int bi = 0; bi < b; bi++)
        {
            for (int ti = 0; ti < t; ti++) Array.Copy(maskRow, bi * s, maskFull, (bi * t + ti) * s, s);
        }
        var w = Rand(b * h * t * dh);

        (float[] Y, float[] Dq, float[] Dk, float[] Dv) Run(float[] mask, int maskT)
        {
            using var q = Tensor.FromArray(qd, new Shape(b, h, t, dh));
            using var k = Tensor.FromArray(kd, new Shape(b, h, s, dh));
            using var v = Tensor.FromArray(vd, new Shape(b, h, s, dh));
            using var m = Tensor.FromArray(mask, new Shape(b, 1, maskT, s));
            using var g = Tensor.FromArray(w, new Shape(b, h, t, dh));
            q.RequiresGrad = k.RequiresGrad = v.RequiresGrad = true;
            using var y = Ops.ScaledDotProductAttention(q, k, v, m, causal);
            var ya = y.ToArray();
            y.Backward(g);
            return (ya, q.Grad!.ToArray(), k.Grad!.ToArray(), v.Grad!.ToArray());
        }

        var expected = Run(maskFull, t);
        var actual = Run(maskRow, 1);
        TensorAssert.BitEqual(expected.Y, actual.Y, "y");
        TensorAssert.BitEqual(expected.Dq, actual.Dq, "dq");
        TensorAssert.BitEqual(expected.Dk, actual.Dk, "dk");
        TensorAssert.BitEqual(expected.Dv, actual.Dv, "dv");
    }

    [Fact]
    public void Mask_with_a_wrong_query_dimension_is_rejected()
    {
        using var q = Tensor.Zeros(new Shape(1, 1, 3, 4));
        using var k = Tensor.Zeros(new Shape(1, 1, 5, 4));
        using var m = Tensor.Zeros(new Shape(1, 1, 2, 5));
        var ex = Assert.Throws<ArgumentException>(() => Ops.ScaledDotProductAttention(q, k, k, m));
        Assert.Contains("1 or 3", ex.Message, StringComparison.Ordinal);
    }
}

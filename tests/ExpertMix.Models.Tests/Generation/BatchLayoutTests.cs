// BatchLayout: left padding, HF position ids, additive masks, and padded attention equal to unpadded attention.
using ExpertMix.Models.Generation;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Generation;

public class BatchLayoutTests
{
    [Fact]
    public void Prompts_are_left_padded_with_hf_masks_and_position_ids()
    {
        var layout = BatchLayout.LeftPadded([[5, 6, 7], [9], [1, 2]], padId: 0);
        Assert.Equal((3, 3), (layout.BatchSize, layout.Length));
        Assert.Equal([5, 6, 7, 0, 0, 9, 0, 1, 2], layout.InputIds.ToArray());
        Assert.Equal([1, 1, 1, 0, 0, 1, 0, 1, 1], layout.AttentionMask.ToArray());
        // HF: cumsum(mask) - 1, then masked_fill(mask == 0, 1)
        Assert.Equal([0, 1, 2, 1, 1, 0, 1, 0, 1], layout.PositionIds.ToArray());
        Assert.Equal([3, 1, 2], layout.DecodePositions(0));
        Assert.Equal([5, 3, 4], layout.DecodePositions(2));
        Assert.Equal(2, layout.PadCount(1));
    }

    [Fact]
    public void Position_ids_equal_the_hf_cumsum_rule_for_random_batches()
    {
        var rng = new Random(8);
        for (int trial = 0; trial < 50; trial++)
        {
            var prompts = Enumerable.Range(0, rng.Next(1, 6)).Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, rng.Next(1, 9)).Select(_ => rng.Next(100)).ToArray()).ToArray();
            var layout = BatchLayout.LeftPadded(prompts, 99);
            int s = layout.Length;
            for (int b = 0; b < prompts.Length; b++)
            {
                int cumsum = 0;
                for (int j = 0; j < s; j++)
                {
                    int m = layout.AttentionMask[b * s + j];
                    cumsum += m;
                    Assert.Equal(m == 0 ? 1 : cumsum - 1, layout.PositionIds[b * s + j]);
                }
                Assert.Equal(prompts[b], layout.InputIds.Slice(b * s + s - prompts[b].Count, prompts[b].Count).ToArray());
            }
        }
    }

    [Fact]
    public void Additive_mask_marks_padding_keys_and_keeps_generated_columns()
    {
        var layout = BatchLayout.LeftPadded([[5, 6, 7], [9]], padId: 0);
        using var mask = layout.AttentionMaskTensor(5);
        Assert.Equal(new Shape(2, 1, 1, 5), mask.Shape);
        const float m = BatchLayout.MaskedValue;
        Assert.Equal([0, 0, 0, 0, 0, m, m, 0, 0, 0], mask.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.AdditiveMask(2));
        using var ids = layout.InputIdsTensor();
        using var pos = layout.PositionIdsTensor();
        using var dec = layout.DecodePositionsTensor(1);
        Assert.Equal((DType.I32, new Shape(2, 3)), (ids.DType, ids.Shape));
        Assert.Equal((DType.I32, new Shape(2, 3)), (pos.DType, pos.Shape));
        Assert.Equal([4, 2], dec.AsSpan<int>().ToArray());
    }

    [Fact]
    public void Padded_causal_attention_matches_each_prompt_attended_alone_without_nans()
    {
        const int h = 2, dh = 4;
        var layout = BatchLayout.LeftPadded([[1, 2, 3, 4], [5, 6]], padId: 0);
        int b = layout.BatchSize, s = layout.Length;
        var rng = new Rng(3);
        var qd = new float[b * h * s * dh];
        var kd = new float[qd.Length];
        var vd = new float[qd.Length];
        for (int i = 0; i < qd.Length; i++) (qd[i], kd[i], vd[i]) = ((float)rng.NextNormal(), (float)rng.NextNormal(), (float)rng.NextNormal());
        using var q = Tensor.FromArray(qd, new Shape(b, h, s, dh));
        using var k = Tensor.FromArray(kd, new Shape(b, h, s, dh));
        using var v = Tensor.FromArray(vd, new Shape(b, h, s, dh));
        using var mask = layout.AttentionMaskTensor(s);
        using var y = Ops.ScaledDotProductAttention(q, k, v, mask, causal: true);
        var ya = y.ToArray();
        Assert.All(ya, x => Assert.True(float.IsFinite(x), "padding rows must stay finite"));

        // row 1 alone: its last 2 positions, unpadded
        int len = layout.Lengths[1], pad = layout.PadCount(1);
        float[] Slice(float[] src)
        {
            var r = new float[h * len * dh];
            for (int hh = 0; hh < h; hh++) Array.Copy(src, ((1 * h + hh) * s + pad) * dh, r, hh * len * dh, len * dh);
            return r;
        }
        using var q1 = Tensor.FromArray(Slice(qd), new Shape(1, h, len, dh));
        using var k1 = Tensor.FromArray(Slice(kd), new Shape(1, h, len, dh));
        using var v1 = Tensor.FromArray(Slice(vd), new Shape(1, h, len, dh));
        using var y1 = Ops.ScaledDotProductAttention(q1, k1, v1, null, causal: true);
        TensorAssert.Close(y1.ToArray(), Slice(ya), atol: 1e-6, what: "row 1 padded vs alone");
    }

    [Fact]
    public void Empty_prompts_negative_ids_and_empty_batches_are_rejected()
    {
        Assert.Contains("prompt 1 is empty", Assert.Throws<ArgumentException>(() => BatchLayout.LeftPadded([[1], []], 0)).Message, StringComparison.Ordinal);
        Assert.Contains("prompt 0 token 1", Assert.Throws<ArgumentException>(() => BatchLayout.LeftPadded([[1, -3]], 0)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BatchLayout.LeftPadded([], 0));
        Assert.Throws<ArgumentException>(() => BatchLayout.LeftPadded([[1]], -1));
    }
}

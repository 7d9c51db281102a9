// Forward context: typed slots, taps, and positions / additive mask derived from a left-padding mask.
using ExpertMix.Tensors;

namespace ExpertMix.Nn.Tests;

public class ForwardContextTests
{
    private static readonly ContextKey<float> Scale = new("lora.scale");

    [Fact]
    public void Typed_slots_carry_values_the_model_never_reads()
    {
        var ctx = new ForwardContext().Set(Scale, 0.5f);
        Assert.True(ctx.TryGet(Scale, out var s));
        Assert.Equal(0.5f, s);
        Assert.False(ctx.TryGet(new ContextKey<float>("lora.scale"), out _));
        Assert.True(ctx.Remove(Scale));
        Assert.False(ctx.TryGet(Scale, out _));
    }

    [Fact]
    public void Positions_follow_hf_cumsum_of_the_padding_mask_and_padded_keys_are_masked()
    {
        // Row 1 is left-padded by 2: positions cumsum(mask) - 1 with 1 at padded slots, as transformers computes them.
        using var mask = Tensor.FromArray([1f, 1, 1, 1, 0, 0, 1, 1], new Shape(2, 4));
        using var layout = SequenceLayout.Resolve(new ForwardContext { AttentionMask = mask }, 2, 4);
        Assert.False(layout.SharedPositions);
        Assert.Equal([0L, 1, 2, 3, 1, 1, 0, 1], layout.Positions);
        Assert.Equal([0f, 0, 0, 0, float.MinValue, float.MinValue, 0, 0], layout.AdditiveMask!.ToArray());

        using var plain = SequenceLayout.Resolve(new ForwardContext(), 3, 2);
        Assert.True(plain.SharedPositions);
        Assert.Equal([0L, 1], plain.Positions);
        Assert.Null(plain.AdditiveMask);
    }

    [Fact]
    public void Taps_reach_an_attached_sink_only()
    {
        var seen = new List<string>();
        using var x = Tensor.Zeros(new Shape(1));
        new ForwardContext().Tap("a", 0, x);
        new ForwardContext { Sink = new ListSink(seen) }.Tap("b", 3, x);
        Assert.Equal(["b@3"], seen);
    }

    private sealed class ListSink(List<string> seen) : IActivationSink
    {
        public void OnActivation(string name, int layer, Tensor value) => seen.Add($"{name}@{layer}");
    }
}

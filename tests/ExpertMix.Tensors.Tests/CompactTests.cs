// Tensor.Compact / EmptyExact: exact, unpooled copies for long-lived tensors.
namespace ExpertMix.Tensors.Tests;

public sealed class CompactTests
{
    [Fact]
    public void Compact_copies_a_strided_view_exactly_and_converts_dtype()
    {
        using var x = Tensor.Randn(new Shape(5, 7), new Rng(3));
        using var xt = x.Transpose(0, 1);                 // [7, 5] strided view
        using var c = xt.Compact();
        using var b = xt.Compact(DType.BF16);
        using var reference = xt.Contiguous();

        Assert.True(c.IsContiguous);
        Assert.Equal(new Shape(7, 5), c.Shape);
        Assert.Equal(reference.ToArray(), c.ToArray());
        Assert.Equal(DType.BF16, b.DType);
        using var widened = b.To(DType.F32);
        using var rounded = reference.To(DType.BF16);
        using var roundedBack = rounded.To(DType.F32);
        Assert.Equal(roundedBack.ToArray(), widened.ToArray());
    }
}

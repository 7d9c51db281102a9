// Shape arithmetic: element counts, strides, broadcasting, dimension normalisation.

namespace ExpertMix.Tensors.Tests;

public class ShapeTests
{
    [Fact]
    public void Scalar_shape_has_one_element_and_rank_zero()
    {
        var s = new Shape();
        Assert.Equal(0, s.Rank);
        Assert.Equal(1, s.Numel);
        Assert.Equal("[]", s.ToString());
    }

    [Fact]
    public void Contiguous_strides_are_row_major()
    {
        Assert.Equal(new long[] { 12, 4, 1 }, new Shape(2, 3, 4).ContiguousStrides());
    }

    [Theory]
    [InlineData(new[] { 3, 1, 5 }, new[] { 4, 5 }, new[] { 3, 4, 5 })]
    [InlineData(new[] { 1 }, new[] { 2, 2 }, new[] { 2, 2 })]
    [InlineData(new int[0], new[] { 7 }, new[] { 7 })]
    public void Broadcast_follows_numpy_rules(int[] a, int[] b, int[] expected)
    {
        Assert.Equal(new Shape(expected), Shape.Broadcast(a, b));
        Assert.Equal(new Shape(expected), Shape.Broadcast(b, a));
    }

    [Fact]
    public void Incompatible_broadcast_names_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Shape.Broadcast(new Shape(2, 3), new Shape(4, 3)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 3]", e.Message);
    }

    [Fact]
    public void Negative_dimensions_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Shape(2, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Shape.NormalizeDim(3, 3));
        Assert.Equal(2, Shape.NormalizeDim(-1, 3));
    }
}

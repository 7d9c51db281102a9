// Views share storage and index correctly; copies and conversions materialise the right values.
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class TensorViewTests
{
    private static Tensor Iota(params int[] shape)
    {
        var s = new Shape(shape);
        var data = new float[s.Numel];
        for (int i = 0; i < data.Length; i++) data[i] = i;
        return Tensor.FromArray(data, s);
    }

    [Fact]
    public void Transpose_is_a_view_with_swapped_strides()
    {
        using var x = Iota(2, 3);
        using var t = x.Transpose(0, 1);
        Assert.Same(x.Storage, t.Storage);
        Assert.False(t.IsContiguous);
        Assert.Equal(new Shape(3, 2), t.Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.ToArray());
        Assert.Equal(4f, t[1, 1]);
    }

    [Fact]
    public void Permute_then_contiguous_matches_manual_index_math()
    {
        using var x = Iota(2, 3, 4);
        using var p = x.Permute(2, 0, 1);
        using var c = p.Contiguous();
        Assert.True(c.IsContiguous);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++)
                    Assert.Equal(j * 12 + k * 4 + i, c[i, j, k]);
    }

    [Fact]
    public void Narrow_and_select_view_the_right_elements()
    {
        using var x = Iota(3, 4);
        using var n = x.Narrow(1, 1, 2);
        Assert.Equal(new float[] { 1, 2, 5, 6, 9, 10 }, n.ToArray());
        using var s = x.Select(0, 2);
        Assert.Equal(new float[] { 8, 9, 10, 11 }, s.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(1, 3, 2));
    }

    [Fact]
    public void Expand_uses_zero_strides()
    {
        using var x = Tensor.FromArray([1f, 2f, 3f], new Shape(3, 1));
        using var e = x.Expand(new Shape(2, 3, 4));
        Assert.Equal(0, e.Stride(0));
        Assert.Equal(0, e.Stride(2));
        Assert.Equal(2f, e[1, 1, 3]);
        Assert.Throws<ArgumentException>(() => x.Expand(new Shape(2, 4)));
    }

    [Fact]
    public void Reshape_of_noncontiguous_copies_and_infers_minus_one()
    {
        using var x = Iota(2, 3);
        using var t = x.Transpose(0, 1);
        using var r = t.Reshape(-1);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, r.ToArray());
        var e = Assert.Throws<ArgumentException>(() => x.Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void Squeeze_and_unsqueeze_round_trip()
    {
        using var x = Iota(2, 3);
        using var u = x.Unsqueeze(1);
        Assert.Equal(new Shape(2, 1, 3), u.Shape);
        using var s = u.Squeeze(1);
        Assert.Equal(x.Shape, s.Shape);
        Assert.Throws<ArgumentException>(() => x.Squeeze(0));
    }

    [Theory]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    [InlineData(DType.F64)]
    public void Conversion_to_16_bit_and_back_is_within_storage_tolerance(DType dtype)
    {
        var rng = new Rng(7);
        using var x = Tensor.Randn(new Shape(5, 7), rng);
        using var lo = x.To(dtype);
        Assert.Equal(dtype, lo.DType);
        using var back = lo.To(DType.F32);
        double tol = dtype == DType.BF16 ? Tolerances.Bf16Relative : dtype == DType.F16 ? Tolerances.F16Relative : 0;
        TensorAssert.Close(x, back, 1e-30, tol, $"f32 → {dtype} → f32");
    }

    [Fact]
    public void Copy_from_strided_source_into_narrowed_destination()
    {
        using var dst = Tensor.Zeros(new Shape(3, 4));
        using var src = Iota(2, 3);
        using (var region = dst.Narrow(1, 1, 2))
        using (var srcT = src.Transpose(0, 1))
        {
            region.CopyFrom(srcT);
        }
        Assert.Equal(new float[] { 0, 0, 3, 0, 0, 1, 4, 0, 0, 2, 5, 0 }, dst.ToArray());
    }

    [Fact]
    public void Disposed_tensor_throws_on_use_but_views_keep_storage_alive()
    {
        var x = Iota(4);
        var v = x.Narrow(0, 1, 2);
        x.Dispose();
        x.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => x.ToArray());
        Assert.Equal(new float[] { 1, 2 }, v.ToArray());
        Assert.False(v.Storage.IsReleased);
        var storage = v.Storage;
        v.Dispose();
        Assert.True(storage.IsReleased);
    }

    [Fact]
    public void Int_tensors_round_trip_and_index()
    {
        using var ids = Tensor.FromInts([3, 1, 4, 1, 5, 9], new Shape(2, 3));
        Assert.Equal(DType.I32, ids.DType);
        Assert.Equal(new long[] { 3, 1, 4, 1, 5, 9 }, ids.ToInt64Array());
        Assert.Equal(9f, ids[1, 2]);
        Assert.Throws<InvalidOperationException>(() => ids.RequiresGrad = true);
    }
}

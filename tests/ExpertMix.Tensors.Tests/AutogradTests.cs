// The reverse pass: accumulation, fan-out, no-grad scopes, frozen leaves, retain-grad, freed graphs.

namespace ExpertMix.Tensors.Tests;

public class AutogradTests
{
    private static Tensor Leaf(params float[] values)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void Gradients_accumulate_across_backward_calls_until_zeroed()
    {
        using var x = Leaf(1, 2, 3);
        for (int i = 0; i < 2; i++)
        {
            using var y = x.Reshape(3, 1);
            y.Backward(Tensor.FromArray([1f, 10f, 100f], new Shape(3, 1)));
        }
        Assert.Equal(new float[] { 2, 20, 200 }, x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Fan_out_sums_contributions_from_every_path()
    {
        using var x = Leaf(1, 2);
        using var a = x.Reshape(2, 1);
        using var b = x.Reshape(1, 2);
        using var ae = a.Expand(new Shape(2, 2));
        using var be = b.Expand(new Shape(2, 2));
        // d/dx of sum(w ⊙ a_expanded) + sum(w ⊙ b_expanded), computed through a Narrow/Contiguous graph.
        using var sumA = Ops.SumTo(ae, new Shape(1, 1));
        using var sumB = Ops.SumTo(be, new Shape(1, 1));
        sumA.Backward();
        sumB.Backward();
        // Each x_i appears twice in each expanded matrix.
        Assert.Equal(new float[] { 4, 4 }, x.Grad!.ToArray());
    }

    [Fact]
    public void No_grad_scope_records_nothing_and_restores_the_mode()
    {
        using var x = Leaf(1, 2);
        Assert.True(Autograd.IsEnabled);
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsEnabled);
            using (Autograd.NoGrad()) Assert.False(Autograd.IsEnabled);
            Assert.False(Autograd.IsEnabled);
            using (Autograd.EnableGrad()) Assert.True(Autograd.IsEnabled);
            Assert.False(Autograd.IsEnabled);
            using var y = x.Reshape(2, 1);
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        Assert.True(Autograd.IsEnabled);
    }

    [Fact]
    public void Frozen_leaf_gets_no_gradient()
    {
        using var frozen = Tensor.FromArray([1f, 2f]);
        using var trainable = Leaf(3, 4);
        using var e1 = frozen.Reshape(2, 1).Expand(new Shape(2, 2));
        using var e2 = trainable.Reshape(1, 2).Expand(new Shape(2, 2));
        using var s1 = Ops.SumTo(e1, new Shape(1, 1));
        using var s2 = Ops.SumTo(e2, new Shape(1, 1));
        Assert.False(s1.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => s1.Backward());
        s2.Backward();
        Assert.Null(frozen.Grad);
        Assert.Equal(new float[] { 2, 2 }, trainable.Grad!.ToArray());
    }

    [Fact]
    public void Retain_grad_fills_intermediate_gradient()
    {
        using var x = Leaf(1, 2, 3);
        using var mid = x.Reshape(3, 1);
        mid.RetainGrad();
        using var top = mid.Expand(new Shape(3, 2));
        using var s = Ops.SumTo(top, new Shape(1, 1));
        s.Backward();
        Assert.Equal(new float[] { 2, 2, 2 }, mid.Grad!.ToArray());
        Assert.Equal(new float[] { 2, 2, 2 }, x.Grad!.ToArray());
    }

    [Fact]
    public void Second_backward_through_freed_graph_fails_clearly_unless_retained()
    {
        using var x = Leaf(1, 2);
        using var y = x.Reshape(1, 2);
        using var s = Ops.SumTo(y, new Shape(1, 1));
        s.Backward(retainGraph: true);
        s.Backward();
        Assert.Equal(new float[] { 2, 2 }, x.Grad!.ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => s.Backward());
        Assert.Contains("retainGraph", e.Message);
    }

    [Fact]
    public void Narrow_backward_scatters_into_zeros()
    {
        using var x = Leaf(1, 2, 3, 4);
        using var n = x.Narrow(0, 1, 2);
        n.Backward(Tensor.FromArray([5f, 7f]));
        Assert.Equal(new float[] { 0, 5, 7, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void Permute_backward_applies_the_inverse_permutation()
    {
        var data = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();
        using var x = Tensor.FromArray(data, new Shape(2, 3, 4));
        x.RequiresGrad = true;
        using var p = x.Permute(2, 0, 1);
        using var g = p.Detach().Clone(); // use the permuted values as the cotangent
        p.Backward(g);
        Assert.Equal(data, x.Grad!.ToArray());
    }

    [Fact]
    public void Non_scalar_backward_without_gradient_is_an_error()
    {
        using var x = Leaf(1, 2);
        using var y = x.Reshape(2, 1);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Fact]
    public void Select_backward_scatters_into_the_selected_slice()
    {
        using var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3));
        x.RequiresGrad = true;
        using var row = x.Select(0, 1);
        Assert.Equal(new float[] { 4, 5, 6 }, row.ToArray());
        using var col = x.Select(1, 2);
        row.Backward(Tensor.FromArray([1f, 2f, 3f]));
        col.Backward(Tensor.FromArray([10f, 20f]));
        Assert.Equal(new float[] { 0, 0, 10, 1, 2, 23 }, x.Grad!.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(0, 2));
    }

    [Fact]
    public void Disposing_an_intermediate_before_backward_keeps_the_graph_intact()
    {
        using var x = Leaf(1, 2, 3);
        var mid = x.Reshape(3, 1);
        using var top = mid.Expand(new Shape(3, 2));
        mid.Dispose();
        using var s = Ops.SumTo(top, new Shape(1, 1));
        s.Backward();
        Assert.Equal(new float[] { 2, 2, 2 }, x.Grad!.ToArray());
    }
}

// Autograd state on a tensor: requires-grad, accumulated gradient, producing node.
namespace ExpertMix.Tensors;

public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>
    /// Whether gradients flow to this tensor. Setting it is allowed on leaves only (parameters, inputs);
    /// a leaf with <c>RequiresGrad = false</c> is frozen.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn is not null && !value) throw new InvalidOperationException($"cannot clear RequiresGrad on non-leaf {Describe()}; use Detach()");
            if (value && !DType.IsFloat()) throw new InvalidOperationException($"only float tensors can require grad ({Describe()})");
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient (F32, same shape), or null before the first backward.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The node that produced this tensor (null for leaves).</summary>
    public GradNode? GradFn { get; internal set; }

    /// <summary>True for tensors created by the user rather than by a recorded op.</summary>
    public bool IsLeaf => GradFn is null;

    internal bool RetainsGrad { get; private set; }

    /// <summary>Asks backward to also fill <see cref="Grad"/> of this non-leaf tensor.</summary>
    public void RetainGrad() => RetainsGrad = true;

    /// <summary>Runs <see cref="Autograd.Backward"/> from this tensor.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => Autograd.Backward(this, gradient, retainGraph);

    /// <summary>Drops the accumulated gradient.</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <summary>A view of the same data that is cut from the graph (no grad).</summary>
    public Tensor Detach() => new(Storage, _shape, _strides, Offset, addRef: true) { Name = Name };

    /// <summary>Marks this output as produced by <paramref name="node"/> (called by ops when recording).</summary>
    public Tensor WithGradFn(GradNode node)
    {
        GradFn = node;
        _requiresGrad = true;
        return this;
    }

    internal void AccumulateGrad(Tensor g)
    {
        if (Grad is null || Grad.IsDisposed)
        {
            var copy = Ops.CopyAs(g, g.DType);
            TensorScope.Forget(copy);
            Grad = copy;
        }
        else
        {
            Ops.AccumulateInto(Grad, g);
        }
    }
}

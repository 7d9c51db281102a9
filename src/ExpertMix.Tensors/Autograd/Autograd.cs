// Grad mode (thread-local, scoped) and the reverse pass over the tape.
namespace ExpertMix.Tensors;

/// <summary>
/// Reverse-mode automatic differentiation. Ops record a <see cref="GradNode"/> on their output when
/// <see cref="IsEnabled"/> and an input has <see cref="Tensor.RequiresGrad"/>. <see cref="Backward"/> walks the graph
/// in reverse topological order and accumulates (+=) into the <see cref="Tensor.Grad"/> of leaf tensors.
/// </summary>
public static class Autograd
{
    [ThreadStatic] private static int t_disabledDepth;

    /// <summary>True when ops should record the tape on this thread.</summary>
    public static bool IsEnabled => t_disabledDepth == 0;

    /// <summary>True when grad mode is on and any of <paramref name="inputs"/> requires grad.</summary>
    public static bool ShouldRecord(params ReadOnlySpan<Tensor?> inputs)
    {
        if (t_disabledDepth != 0) return false;
        foreach (var t in inputs)
        {
            if (t is not null && t.RequiresGrad) return true;
        }
        return false;
    }

    /// <summary>Turns recording off until the returned scope is disposed (nestable; restores the previous mode).</summary>
    public static GradModeScope NoGrad()
    {
        t_disabledDepth++;
        return new GradModeScope(-1);
    }

    /// <summary>Turns recording on inside an enclosing no-grad scope until disposed.</summary>
    public static GradModeScope EnableGrad()
    {
        int saved = t_disabledDepth;
        t_disabledDepth = 0;
        return new GradModeScope(saved);
    }

    /// <summary>Scope token returned by <see cref="NoGrad"/> and <see cref="EnableGrad"/>.</summary>
    public readonly struct GradModeScope : IDisposable
    {
        private readonly int _restore;

        internal GradModeScope(int restore) => _restore = restore;

        /// <summary>Restores the previous grad mode.</summary>
        public void Dispose()
        {
            if (_restore < 0) t_disabledDepth--;
            else t_disabledDepth = _restore;
        }
    }

    /// <summary>
    /// Back-propagates from <paramref name="root"/>. <paramref name="gradient"/> defaults to ones for a one-element
    /// root. Leaf gradients are accumulated; tensors that called <see cref="Tensor.RetainGrad"/> get theirs too.
    /// Without <paramref name="retainGraph"/> the graph's saved tensors are released afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The root does not require grad, or a non-scalar root has no gradient.</exception>
    public static void Backward(Tensor root, Tensor? gradient = null, bool retainGraph = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!root.RequiresGrad) throw new InvalidOperationException($"Backward on {root.Describe()}, which does not require grad");
        using var noGrad = NoGrad();
        Tensor seed;
        if (gradient is null)
        {
            if (root.Numel != 1) throw new InvalidOperationException($"Backward on non-scalar {root.Describe()} needs an explicit gradient");
            seed = Ops.FullOn(root.Backend, root.Shape, 1f);
        }
        else
        {
            if (gradient.Shape != root.Shape) throw new ArgumentException($"gradient shape {gradient.Shape} does not match root shape {root.Shape}", nameof(gradient));
            seed = Ops.CopyAs(gradient, DType.F32);
        }

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed };
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            if (t.RequiresGrad && (t.GradFn is null || t.RetainsGrad)) t.AccumulateGrad(g);
            var node = t.GradFn;
            if (node is not null)
            {
                var inputGrads = node.Rule(g);
                var adopted = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                if (inputGrads.Length != node.Inputs.Length) throw new InvalidOperationException($"{node} returned {inputGrads.Length} gradients for {node.Inputs.Length} inputs");
                for (int k = 0; k < inputGrads.Length; k++)
                {
                    var gi = inputGrads[k];
                    var input = node.Inputs[k];
                    if (gi is null) continue;
                    if (!input.RequiresGrad) continue;
                    if (gi.Shape != input.Shape) throw new InvalidOperationException($"{node} produced a gradient of shape {gi.Shape} for input {k} of shape {input.Shape}");
                    if (grads.TryGetValue(input, out var acc))
                    {
                        Ops.AccumulateInto(acc, gi);
                    }
                    else
                    {
                        // Keep an exclusively owned, writable, contiguous F32 copy: later contributions add into it in place.
                        bool exclusive = gi.Storage.RefCount == 1 && gi.IsContiguous && gi.DType == DType.F32 && !gi.Storage.IsReadOnly
                                         && !ReferenceEquals(gi, g) && !adopted.Contains(gi) && Array.IndexOf(inputGrads, gi, k + 1) < 0;
                        grads[input] = exclusive ? gi : Ops.CopyAs(gi, DType.F32);
                        if (exclusive) adopted.Add(gi);
                    }
                }
                foreach (var gi in inputGrads)
                {
                    if (gi is not null && !ReferenceEquals(gi, g) && !adopted.Contains(gi)) gi.Dispose();
                }
                if (!retainGraph) node.Release();
            }
            g.Dispose();
        }
        foreach (var leftover in grads.Values) leftover.Dispose();
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor T, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else
            {
                order.Add(t);
            }
        }
        return order; // children before parents; root last
    }
}

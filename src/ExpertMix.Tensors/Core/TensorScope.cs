// Scoped ownership: tensors created inside a scope are disposed when it ends, unless kept.
namespace ExpertMix.Tensors;

/// <summary>
/// A disposal scope (TorchSharp's DisposeScope idea). Every tensor created on this thread while the scope is the
/// innermost one is registered and disposed at <see cref="Dispose"/>; <see cref="Keep"/> moves a tensor to the
/// enclosing scope (or out of all scopes). Typical use: one scope per training step or decode step, so the pooled
/// buffers are recycled and steady-state loops allocate nothing.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;

    private readonly TensorScope? _parent;
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private TensorScope(TensorScope? parent) => _parent = parent;

    /// <summary>The innermost scope of this thread, or null.</summary>
    public static TensorScope? Current => t_current;

    /// <summary>Opens a scope nested in the current one.</summary>
    public static TensorScope Begin()
    {
        var s = new TensorScope(t_current);
        t_current = s;
        return s;
    }

    /// <summary>Number of tensors the scope will dispose.</summary>
    public int Count => _owned.Count;

    internal void Register(Tensor t) => _owned.Add(t);

    /// <summary>Moves <paramref name="tensor"/> to the enclosing scope (or out of all scopes) and returns it.</summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_owned.Remove(tensor)) _parent?.Register(tensor);
        return tensor;
    }

    /// <summary>Removes <paramref name="tensor"/> from every scope of this thread: its owner disposes it.</summary>
    public static Tensor Forget(Tensor tensor)
    {
        for (var s = t_current; s is not null; s = s._parent) s._owned.Remove(tensor);
        return tensor;
    }

    /// <summary>Disposes every tensor still owned and makes the parent current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(t_current, this)) throw new InvalidOperationException("TensorScope disposed out of order (inner scopes must end first)");
        _disposed = true;
        t_current = _parent;
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}

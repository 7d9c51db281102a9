// AdamW (decoupled weight decay) matching torch.optim.AdamW 1.13, with parameter groups and exact state save/restore.
namespace ExpertMix.Tensors.Optim;

/// <summary>
/// <c>torch.optim.AdamW</c> (torch 1.13, default single-tensor path, <c>maximize=False</c>). For every parameter p
/// with a gradient g, each <see cref="Step"/> does, with t the parameter's own step count after increment:
/// <code>
/// p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
/// p ← p − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε)
/// </code>
/// in torch's exact f32 operation order (<see cref="AdamWKernel"/>). Parameters that are frozen
/// (<see cref="Tensor.RequiresGrad"/> false) or have no gradient are skipped: neither p nor its state changes
/// (torch skips <c>p.grad is None</c>). Moments are created lazily (zeros) on a parameter's first update.
/// </summary>
/// <remarks>
/// Lifetime: the optimizer owns its state buffers (dispose it); it never disposes parameters or gradients.
/// Threads: elements are split with <see cref="Par.For"/>; every element is updated by one thread with the same
/// arithmetic, so results are bit-identical for any <see cref="Engine.Threads"/>.
/// </remarks>
public sealed partial class AdamW : IDisposable
{
    private readonly ParameterGroup[] _groups;
    private readonly Dictionary<Tensor, ParameterState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, Tensor> _byName = new(StringComparer.Ordinal);

    /// <summary>One group holding <paramref name="parameters"/> with <paramref name="options"/> (default options if null).</summary>
    public AdamW(IEnumerable<Tensor> parameters, AdamWOptions? options = null)
        : this([new ParameterGroup("default", parameters, options ?? new AdamWOptions())])
    {
    }

    /// <summary>Several parameter groups (e.g. decay / no-decay).</summary>
    /// <exception cref="ArgumentException">No groups; a parameter is not F32, appears twice, or two share a name.</exception>
    public AdamW(IEnumerable<ParameterGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups.ToArray();
        if (_groups.Length == 0) throw new ArgumentException("AdamW needs at least one parameter group", nameof(groups));
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var groupNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in _groups)
        {
            if (g is null) throw new ArgumentException("null parameter group", nameof(groups));
            if (!groupNames.Add(g.Name)) throw new ArgumentException($"two parameter groups are named '{g.Name}'", nameof(groups));
            foreach (var p in g.Parameters)
            {
                if (p.DType != DType.F32) throw new ArgumentException($"AdamW updates F32 parameters; {p.Describe()} is {p.DType}", nameof(groups));
                if (!seen.Add(p)) throw new ArgumentException($"parameter {p.Describe()} appears in more than one group (or twice)", nameof(groups));
                if (!_byName.TryAdd(p.Name!, p)) throw new ArgumentException($"two parameters are named '{p.Name}'; state is keyed by name", nameof(groups));
            }
        }
    }

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParameterGroup> Groups => _groups;

    /// <summary>The step count of parameter <paramref name="name"/> (0 before its first update).</summary>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public long StepOf(string name)
    {
        if (!_byName.TryGetValue(name, out var p)) throw new KeyNotFoundException($"AdamW has no parameter named '{name}'");
        return _state.TryGetValue(p, out var s) ? s.Step : 0;
    }

    /// <summary>
    /// Sets every group's <see cref="ParameterGroup.LearningRate"/> to its base rate times
    /// <paramref name="schedule"/>'s factor at <paramref name="step"/> (torch's <c>LambdaLR</c>).
    /// </summary>
    public void ApplySchedule(ILrSchedule schedule, int step)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        double factor = schedule.Factor(step);
        foreach (var g in _groups) g.LearningRate = g.Options.LearningRate * factor;
    }

    /// <summary>One AdamW update of every parameter that requires grad and has a gradient (see the class summary).</summary>
    /// <exception cref="InvalidOperationException">A parameter or its gradient is not contiguous F32 of the same shape.</exception>
    public void Step()
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var group in _groups)
        {
            foreach (var p in group.Parameters)
            {
                if (!p.RequiresGrad || p.Grad is null || p.Grad.IsDisposed) continue;
                var grad = p.Grad;
                if (grad.Shape != p.Shape) throw new InvalidOperationException($"gradient {grad.Shape} does not match parameter {p.Describe()}");
                p.RequireContiguous();
                if (p.Storage.IsReadOnly) throw new InvalidOperationException($"parameter {p.Describe()} is read-only (memory-mapped); load it into memory to train it");
                var st = GetOrCreate(p, group.Options.Amsgrad);
                st.Step++;
                var s = AdamWScalars.For(group.Options, group.LearningRate, st.Step);
                if (grad.DType == DType.F32 && grad.IsContiguous)
                {
                    Apply(grad, p, st, s);
                }
                else
                {
                    using var gc = Ops.CopyAs(grad, DType.F32);
                    Apply(gc, p, st, s);
                }
            }
        }
    }

    /// <summary>Drops the gradient of every parameter (torch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var g in _groups)
        {
            foreach (var p in g.Parameters) p.ZeroGrad();
        }
    }

    /// <summary>Releases the state buffers.</summary>
    public void Dispose()
    {
        foreach (var s in _state.Values) s.Dispose();
        _state.Clear();
    }

    private static void Apply(Tensor grad, Tensor param, ParameterState st, AdamWScalars s)
    {
        var backend = Ops.BackendOf("AdamW", param, grad, st.ExpAvg, st.ExpAvgSq);
        backend.AdamWUpdate(grad, param, st.ExpAvg, st.ExpAvgSq, st.MaxExpAvgSq, s);
    }

    private ParameterState GetOrCreate(Tensor p, bool amsgrad)
    {
        if (_state.TryGetValue(p, out var st)) return st;
        st = new ParameterState(
            TensorScope.Forget(Ops.ZerosOn(p.Backend, p.Shape)),
            TensorScope.Forget(Ops.ZerosOn(p.Backend, p.Shape)),
            amsgrad ? TensorScope.Forget(Ops.ZerosOn(p.Backend, p.Shape)) : null,
            0);
        _state.Add(p, st);
        return st;
    }
}

// A projection with any number of LoRA branches: y = W x + b + Σ_i w_i · s_i · B_i A_i drop(x), mergeable into W.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// Wraps the base projection of one module and adds LoRA branches, unmerged:
/// y = base(x) + Σ_i w_i·s_i·(drop(x)·A_iᵀ)·B_iᵀ, with A_i [r_i, in], B_i [out, r_i], user weight w_i and scaling s_i.
/// Dropout acts on the branch input only, in <see cref="ForwardMode.Train"/>. <see cref="Merge"/> replaces the base
/// weight by W' = round(W + Σ w_i s_i B_i A_i) computed in f32 (the original stays retained; <see cref="Unmerge"/>
/// restores it bit-exactly). GPT-2 Conv1D bases hold W as [out, in] after load, so merging needs no transpose here;
/// writing an HF checkpoint transposes by module type. Owns the base module; does not own the adapters' factors.
/// </summary>
public sealed class LoraLinear : ILinearLike, IDisposable
{
    private readonly List<LoraBranch> _branches = [];
    private readonly Tensor _baseWeight;
    private readonly Tensor? _baseBias;
    private Tensor? _merged;        // W' [out, in] in the base dtype while merged
    private LoraBranch[] _mergedBranches = [];

    /// <summary>Wraps <paramref name="baseModule"/> (a <see cref="Linear"/> or <see cref="Conv1DLinear"/>; ownership moves here).</summary>
    /// <exception cref="NotSupportedException">Another kind of projection (e.g. an SVF wrapper).</exception>
    public LoraLinear(ILinearLike baseModule)
    {
        ArgumentNullException.ThrowIfNull(baseModule);
        (_baseWeight, _baseBias) = baseModule switch
        {
            Linear l => (l.Weight, l.Bias),
            Conv1DLinear c => (c.Weight, c.Bias),
            _ => throw new NotSupportedException($"{baseModule.ModulePath}: LoRA attaches to Linear or Conv1D projections, not {baseModule.GetType().Name}"),
        };
        Base = baseModule;
    }

    /// <summary>The wrapped projection.</summary>
    public ILinearLike Base { get; }

    /// <summary>Whether the base is GPT-2's Conv1D (its checkpoint layout is [in, out]).</summary>
    public bool IsConv1D => Base is Conv1DLinear;

    /// <inheritdoc/>
    public string ModulePath => Base.ModulePath;

    /// <inheritdoc/>
    public int InFeatures => Base.InFeatures;

    /// <inheritdoc/>
    public int OutFeatures => Base.OutFeatures;

    /// <summary>The attached branches in attachment order.</summary>
    public IReadOnlyList<LoraBranch> Branches => _branches;

    /// <summary>Whether <see cref="Merge"/> folded the branches into the weight.</summary>
    public bool IsMerged => _merged is not null;

    /// <summary>Attaches <paramref name="module"/> of adapter <paramref name="adapter"/> with user weight <paramref name="weight"/>.</summary>
    /// <exception cref="ArgumentException">Shape mismatch (names module and shapes) or the adapter is already attached.</exception>
    /// <exception cref="InvalidOperationException">Merged (unmerge first).</exception>
    public LoraBranch Attach(string adapter, LoraModule module, float weight, float dropout, Rng? dropoutRng)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(module);
        if (IsMerged) throw new InvalidOperationException($"{ModulePath}: unmerge before attaching adapter '{adapter}'");
        if (module.InFeatures != InFeatures || module.OutFeatures != OutFeatures)
        {
            throw new ArgumentException($"adapter '{adapter}' does not fit this base model: module {ModulePath} has W [{OutFeatures}, {InFeatures}] "
                + $"but lora_A is {module.A.Shape} and lora_B {module.B.Shape} (expected [r, {InFeatures}] and [{OutFeatures}, r])");
        }
        if (_branches.Any(b => b.Adapter == adapter)) throw new ArgumentException($"{ModulePath}: adapter '{adapter}' is already attached");
        var branch = new LoraBranch(adapter, module, weight, dropout, dropoutRng);
        _branches.Add(branch);
        return branch;
    }

    /// <summary>Detaches adapter <paramref name="adapter"/>; returns whether it was attached.</summary>
    /// <exception cref="InvalidOperationException">Merged.</exception>
    public bool Detach(string adapter)
    {
        if (IsMerged) throw new InvalidOperationException($"{ModulePath}: unmerge before detaching adapter '{adapter}'");
        return _branches.RemoveAll(b => b.Adapter == adapter) > 0;
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(ctx);
        var y = _merged is { } wm ? Ops.Linear(x, wm, _baseBias) : Base.Forward(x, ctx);     // [..., out]
        foreach (var b in _branches)
        {
            if (b.Weight == 0f || (IsMerged && _mergedBranches.Contains(b))) continue;
            var input = ctx.Mode == ForwardMode.Train && b.Dropout > 0f && b.DropoutRng is { } rng ? Ops.Dropout(x, b.Dropout, rng) : x;
            var h = Ops.Linear(input, b.Module.A);                      // [..., r]
            var hs = Ops.Mul(h, b.Weight * b.Module.Scaling);            // [..., r]
            var d = Ops.Linear(hs, b.Module.B);                          // [..., out]
            y = Ops.Add(y, d);                                           // [..., out]
        }
        return y;
    }

    /// <inheritdoc/>
    public Tensor EffectiveWeight()
    {
        using var scope = TensorScope.Begin();
        var w = _merged is { } m ? m.Detach() : _baseWeight.DType == DType.F32 ? _baseWeight.Detach() : _baseWeight.To(DType.F32);
        foreach (var b in _branches)
        {
            if (b.Weight == 0f || (IsMerged && _mergedBranches.Contains(b))) continue;
            using var d = b.Module.Delta();
            w = Ops.Add(w, Ops.Mul(d, b.Weight));
        }
        return TensorScope.Forget(w);
    }

    /// <inheritdoc/>
    public Tensor? DeltaWeight()
    {
        var active = _branches.Where(b => b.Weight != 0f).ToList();
        if (active.Count == 0) return null;
        return Sum(active);
    }

    /// <summary>Folds every attached branch (at its current weight) into W' = round_dtype(W + Σ w_i s_i B_i A_i); idempotent.</summary>
    public void Merge()
    {
        if (IsMerged) return;
        var active = _branches.Where(b => b.Weight != 0f).ToArray();
        using var scope = TensorScope.Begin();
        using var delta = Sum(active) ?? Tensor.Zeros(new Shape(OutFeatures, InFeatures));  // [out, in] f32
        using var w32 = _baseWeight.DType == DType.F32 ? _baseWeight.Detach() : _baseWeight.To(DType.F32);
        using var sum = Ops.Add(w32, delta);
        _merged = TensorScope.Forget(sum.Compact(_baseWeight.DType));                         // one rounding to the weight dtype
        _mergedBranches = active;
    }

    /// <summary>Restores the original base weight (bit-exact: it was never modified); no-op when not merged.</summary>
    public void Unmerge()
    {
        _merged?.Dispose();
        _merged = null;
        _mergedBranches = [];
    }

    /// <summary>The base module's parameters (the frozen weight and bias); adapter factors are listed by their adapters.</summary>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => Base.NamedParameters();

    /// <summary>Unmerges and disposes the base module (adapter factors are owned by their <see cref="LoraAdapter"/>).</summary>
    public void Dispose()
    {
        Unmerge();
        (Base as IDisposable)?.Dispose();
    }

    private static Tensor? Sum(IReadOnlyList<LoraBranch> branches)
    {
        if (branches.Count == 0) return null;
        using var scope = TensorScope.Begin();
        Tensor? acc = null;
        foreach (var b in branches)
        {
            var d = b.Module.Delta();                               // [out, in] = s·B·A
            var wd = b.Weight == 1f ? d : Ops.Mul(d, b.Weight);
            acc = acc is null ? wd : Ops.Add(acc, wd);
        }
        return TensorScope.Forget(acc!);
    }
}

/// <summary>One adapter's branch inside a <see cref="LoraLinear"/>: its factors, user weight w and dropout.</summary>
public sealed class LoraBranch
{
    internal LoraBranch(string adapter, LoraModule module, float weight, float dropout, Rng? dropoutRng)
    {
        Adapter = adapter;
        Module = module;
        Weight = weight;
        Dropout = dropout;
        DropoutRng = dropoutRng;
    }

    /// <summary>The adapter's name.</summary>
    public string Adapter { get; }

    /// <summary>The factors (owned by the adapter).</summary>
    public LoraModule Module { get; }

    /// <summary>w: the user weight multiplying s·B·A (0 disables the branch).</summary>
    public float Weight { get; set; }

    /// <summary>Branch-input dropout probability in training.</summary>
    public float Dropout { get; }

    /// <summary>The random stream dropout draws from, or null.</summary>
    public Rng? DropoutRng { get; }
}

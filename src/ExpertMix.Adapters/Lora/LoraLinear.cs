// A projection with any number of LoRA branches: y = W x + b + Σ_i w_i · s_i · B_i A_i drop(x), mergeable into W.
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// Wraps the base projection of one module and adds LoRA branches, unmerged:
/// y = base(x) + Σ_i w_i·s_i·(drop(x)·A_iᵀ)·B_iᵀ, with A_i [r_i, in], B_i [out, r_i], user weight w_i and scaling s_i.
/// Dropout acts on the branch input only, in <see cref="ForwardMode.Train"/>. <see cref="Merge"/> replaces the base
/// weight by W' = round(W + Σ w_i s_i B_i A_i) computed in f32 (the original stays retained; <see cref="Unmerge"/>
/// restores it bit-exactly). GPT-2 Conv1D bases hold W as [out, in] after load, so merging needs no transpose here;
/// writing an HF checkpoint transposes by module type. A context carrying an <see cref="ILoraMixing"/> (X-LoRA) takes
/// over the branch sum for that forward. Owns the base module; does not own the adapters' factors.
/// </summary>
internal sealed class LoraLinear : ILinearLike, IDisposable
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
        if (ctx.TryGet(LoraMixing.Key, out var mixing) && mixing is not null)
        {
            if (IsMerged) throw new InvalidOperationException($"{ModulePath}: a merged LoRA linear cannot mix its branches per token (unmerge first)");
            return mixing.Forward(this, x, ctx);
        }
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

    /// <summary>
    /// W + Σ w_i s_i B_i A_i [out, in] in f32 over the branches not already merged (the merged weight when merged), in
    /// one GEMM (see <see cref="Merge"/>). Not recorded by autograd.
    /// </summary>
    public Tensor EffectiveWeight()
    {
        var source = _merged ?? _baseWeight;                                                   // [out, in]
        var pending = _branches.Where(b => b.Weight != 0f && !(IsMerged && _mergedBranches.Contains(b))).ToArray();
        if (pending.Length == 0 && source.DType == DType.F32) return TensorScope.Forget(source.Detach());
        using var noGrad = Autograd.NoGrad();
        var w = Tensor.Empty(new Shape(OutFeatures, InFeatures));                               // [out, in] f32
        w.CopyFrom(source);
        AddProducts(w, pending, beta: 1f);
        return TensorScope.Forget(w);
    }

    /// <summary>Σ w_i s_i B_i A_i [out, in] in f32 over the active branches (one GEMM), or null when none is active. Not recorded by autograd.</summary>
    public Tensor? DeltaWeight()
    {
        var active = _branches.Where(b => b.Weight != 0f).ToArray();
        if (active.Length == 0) return null;
        using var noGrad = Autograd.NoGrad();
        var delta = Tensor.Empty(new Shape(OutFeatures, InFeatures));                           // [out, in] f32
        AddProducts(delta, active, beta: 0f);
        return TensorScope.Forget(delta);
    }

    /// <summary>
    /// Folds every attached branch (at its current weight) into W' = round_dtype(W + Σ w_i s_i B_i A_i); idempotent.
    /// One pass per module: W is copied (widened to f32 for 16-bit bases) and the whole sum is added by a single
    /// multi-threaded GEMM, W' += [w_1 s_1 B_1 | … | w_n s_n B_n] · [A_1; …; A_n] (inner size Σ r_i), so no per-adapter
    /// ΔW is materialised. 16-bit bases are rounded once, from the f32 sum. An f32 W' lives in a pooled buffer, so a
    /// merge after an unmerge reuses the pages instead of faulting in fresh ones (which dominates a first merge).
    /// </summary>
    public void Merge()
    {
        if (IsMerged) return;
        var active = _branches.Where(b => b.Weight != 0f).ToArray();
        using var noGrad = Autograd.NoGrad();
        var shape = new Shape(OutFeatures, InFeatures);
        if (_baseWeight.DType == DType.F32)
        {
            var merged = Tensor.Empty(shape);                                                   // [out, in] f32, pooled
            merged.CopyFrom(_baseWeight);
            AddProducts(merged, active, beta: 1f);
            _merged = TensorScope.Forget(merged);
        }
        else
        {
            using var w32 = Tensor.Empty(shape);                                                // [out, in] f32 scratch
            w32.CopyFrom(_baseWeight);
            AddProducts(w32, active, beta: 1f);
            _merged = TensorScope.Forget(w32.Compact(_baseWeight.DType));                           // one rounding to the weight dtype
        }
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

    /// <summary>
    /// c = Σ_i w_i s_i B_i A_i + beta·c for a contiguous f32 <paramref name="c"/> [out, in], as one GEMM with inner size
    /// R = Σ r_i: c = Bcat·Acat + beta·c with Bcat [out, R] (block i = w_i s_i B_i) and Acat [R, in] (rows of A_i).
    /// </summary>
    private void AddProducts(Tensor c, IReadOnlyList<LoraBranch> branches, float beta)
    {
        int outF = OutFeatures, inF = InFeatures, rank = branches.Sum(b => b.Module.Rank);
        var cs = c.Span;                                                                        // [out, in]
        if (rank == 0)
        {
            if (beta == 0f) cs.Clear();
            return;
        }
        var bCat = new float[outF * rank];                                                      // [out, R]
        var aCat = new float[rank * inF];                                                       // [R, in]
        int col = 0;
        foreach (var b in branches)
        {
            int r = b.Module.Rank;
            float ws = b.Weight * b.Module.Scaling;
            b.Module.A.ToArray().CopyTo(aCat, col * inF);                                       // rows col..col+r of Acat
            var bv = b.Module.B.ToArray();                                                      // [out, r]
            for (int o = 0; o < outF; o++)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(bv.AsSpan(o * r, r), ws, bCat.AsSpan(o * rank + col, r));
            }
            col += r;
        }
        Gemm.Sgemm(Transpose.No, Transpose.No, outF, inF, rank, 1f, bCat, rank, aCat, inF, beta, cs, inF);
    }
}

/// <summary>One adapter's branch inside a <see cref="LoraLinear"/>: its factors, user weight w and dropout.</summary>
internal sealed class LoraBranch
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

// A projection whose weight is the SVF composition W'(z) of its frozen base: cached, recomposed when z changes.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Svf;

/// <summary>
/// Wraps a base projection (Linear or Conv1D; owned) with its SVD basis and applies y = x·W'ᵀ + b where
/// W' = c·U diag(σ ⊙ z) Vᵀ (see <see cref="SvfMath"/>), composed in f32 and rounded once to the base weight dtype.
/// The mask is either a learnable pre-sigmoid p [r] (z = max_mult·sigmoid(p), read at every forward and recomposed
/// when its values changed) or a fixed z [r] (mixtures). W' is cached; <see cref="Version"/> counts recompositions.
/// The base weight is never written: without a mask the base forward runs unchanged, so removing an expert restores
/// the base bit-exactly. When p requires grad (and grad mode is on), W' enters the tape through an op whose
/// backward maps G = ∂L/∂W' to ∂L/∂p by the closed form of spec §6.
/// </summary>
internal sealed class SvfLinear : ILinearLike, IDisposable
{
    private readonly Tensor? _bias;
    private Tensor? _p;
    private float _maxMult = 1f;
    private float[]? _fixedZ;
    private float[]? _composedFrom;   // the p (learnable) or z (fixed) values W' was composed from
    private Tensor? _composed;        // W' [out, in] in the base dtype

    /// <summary>Wraps <paramref name="baseModule"/> (ownership moves here) with <paramref name="basis"/> (not owned).</summary>
    /// <exception cref="ArgumentException">The basis is of another shape (names the module and both shapes).</exception>
    public SvfLinear(ILinearLike baseModule, SvfMatrixBasis basis)
    {
        ArgumentNullException.ThrowIfNull(baseModule);
        ArgumentNullException.ThrowIfNull(basis);
        (BaseWeight, _bias) = baseModule switch
        {
            Linear l => (l.Weight, l.Bias),
            Conv1DLinear c => (c.Weight, c.Bias),
            _ => throw new NotSupportedException($"{baseModule.ModulePath}: SVF wraps Linear or Conv1D projections, not {baseModule.GetType().Name}"),
        };
        if (basis.Rows != baseModule.OutFeatures || basis.Cols != baseModule.InFeatures)
        {
            throw new ArgumentException($"{baseModule.ModulePath}: SVF basis {basis.ParamName} is [{basis.Rows}, {basis.Cols}] but the weight is [{baseModule.OutFeatures}, {baseModule.InFeatures}]");
        }
        Base = baseModule;
        Basis = basis;
    }

    /// <summary>The wrapped projection.</summary>
    public ILinearLike Base { get; }

    /// <summary>The frozen base weight W [out, in] (owned by <see cref="Base"/>; never modified).</summary>
    public Tensor BaseWeight { get; }

    /// <summary>This matrix's SVD basis.</summary>
    public SvfMatrixBasis Basis { get; }

    /// <inheritdoc/>
    public string ModulePath => Base.ModulePath;

    /// <inheritdoc/>
    public int InFeatures => Base.InFeatures;

    /// <inheritdoc/>
    public int OutFeatures => Base.OutFeatures;

    /// <summary>Whether a mask is set (otherwise the base forward runs).</summary>
    public bool HasMask => _p is not null || _fixedZ is not null;

    /// <summary>How many times W' was composed.</summary>
    public long Version { get; private set; }

    /// <summary>
    /// When true the base forward runs even with a mask set, and the cached W' is kept (no recomposition when it is
    /// switched off again): the reference pass of KL penalties. Set through <see cref="SvfHost.UseBaseWeights"/>.
    /// </summary>
    public bool Bypassed { get; set; }

    /// <summary>The learnable p [r] when set (not owned).</summary>
    public Tensor? P => _p;

    /// <summary>Uses the learnable pre-sigmoid <paramref name="p"/> [r] f32 (not owned) with z = maxMult·sigmoid(p).</summary>
    /// <exception cref="ArgumentException">p is not an f32 vector of length r (names the module).</exception>
    public void SetParameter(Tensor p, float maxMult = 1f)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Rank != 1 || p.Size(0) != Basis.Rank || p.DType != DType.F32 || !p.IsContiguous)
        {
            throw new ArgumentException($"{ModulePath}: SVF p must be a contiguous f32 [{Basis.Rank}], got {p.Describe()}", nameof(p));
        }
        if (!(maxMult > 0)) throw new ArgumentException($"{ModulePath}: max_mult must be > 0 (got {maxMult})", nameof(maxMult));
        _p = p;
        _maxMult = maxMult;
        _fixedZ = null;
        Invalidate();
    }

    /// <summary>Uses a fixed z [r] (e.g. a mixture Σ_k α_k·z_k); values must be ≥ 0 with a positive σ-weighted sum.</summary>
    public void SetMask(ReadOnlySpan<float> z)
    {
        if (z.Length != Basis.Rank) throw new ArgumentException($"{ModulePath}: SVF z has {z.Length} entries, expected {Basis.Rank}");
        _fixedZ = z.ToArray();
        _p = null;
        Invalidate();
    }

    /// <summary>Removes the mask: the base projection runs again and the cached W' is released.</summary>
    public void ClearMask()
    {
        _p = null;
        _fixedZ = null;
        Invalidate();
    }

    /// <summary>The current z [r] (null without a mask).</summary>
    public float[]? CurrentZ()
    {
        if (_fixedZ is { } z) return (float[])z.Clone();
        if (_p is null) return null;
        var zz = new float[Basis.Rank];
        SvfMath.Mask(_p.Span, _maxMult, zz);
        return zz;
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!HasMask || Bypassed) return Base.Forward(x, ctx);
        var w = Composed();                                                              // [out, in]
        if (_p is { } p && Autograd.ShouldRecord(p))
        {
            var node = WithGradient(w, p);                                               // [out, in], recorded (the tape keeps it)
            return Ops.Linear(x, node, _bias);                                           // [..., out]
        }
        return Ops.Linear(x, w, _bias);                                                  // [..., out]
    }

    /// <summary>W' [out, in] f32 (or the base weight without a mask). Not recorded by autograd.</summary>
    public Tensor EffectiveWeight()
    {
        if (!HasMask) return TensorScope.Forget(BaseWeight.Detach());
        var w = Composed();
        if (w.DType == DType.F32) return TensorScope.Forget(w.Detach());
        using var noGrad = Autograd.NoGrad();
        return TensorScope.Forget(w.Compact(DType.F32));
    }

    /// <summary>W' − W [out, in] f32, or null without a mask.</summary>
    public Tensor? DeltaWeight()
    {
        if (!HasMask) return null;
        using var scope = TensorScope.Begin();
        using var noGrad = Autograd.NoGrad();
        var w = EffectiveWeight();
        var d = Ops.Sub(w, BaseWeight);
        return TensorScope.Forget(d);
    }

    /// <summary>No-op: W' is already applied densely.</summary>
    public void Merge()
    {
    }

    /// <summary>No-op (the base weight is never modified).</summary>
    public void Unmerge()
    {
    }

    /// <summary>The base module's parameters (SVF vectors are listed by their expert).</summary>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => Base.NamedParameters();

    /// <summary>Releases W' and disposes the base module.</summary>
    public void Dispose()
    {
        Invalidate();
        (Base as IDisposable)?.Dispose();
    }

    // W' for the current mask, recomposed when the values changed since the last composition.
    private Tensor Composed()
    {
        var source = _fixedZ ?? _p!.Span.ToArray();
        if (_composed is not null && _composedFrom is not null && source.AsSpan().SequenceEqual(_composedFrom)) return _composed;
        Invalidate();
        var z = _fixedZ ?? new float[Basis.Rank];
        if (_fixedZ is null) SvfMath.Mask(source, _maxMult, z);
        using var noGrad = Autograd.NoGrad();
        var w32 = Tensor.Empty(new Shape(OutFeatures, InFeatures));                       // [out, in] f32
        SvfMath.Compose(Basis.U.Span, Basis.S.Span, Basis.V.Span, z, OutFeatures, InFeatures, w32.Span);
        if (BaseWeight.DType == DType.F32)
        {
            _composed = TensorScope.Forget(w32);
        }
        else
        {
            using (w32) _composed = TensorScope.Forget(w32.Compact(BaseWeight.DType));    // one rounding to the weight dtype
        }
        _composedFrom = source;
        Version++;
        return _composed;
    }

    // A view of W' recorded on the tape with p as input: backward G [out, in] → ∂L/∂p [r] (spec §6).
    private Tensor WithGradient(Tensor w, Tensor p)
    {
        var basis = Basis;
        var pAt = Array.ConvertAll(_composedFrom!, v => (double)v);
        double maxMult = _maxMult;
        int m = OutFeatures, n = InFeatures, r = basis.Rank;
        return w.Detach().WithGradFn(new GradNode("SvfCompose", [p], g =>
        {
            var gv = g.ToArray();                                                        // G [m, n]
            var h = SvfMath.Projections(basis.U.Span, basis.V.Span, gv, m, n, r);        // [r]
            var sigma = Array.ConvertAll(basis.S.Span.ToArray(), v => (double)v);
            var dp = SvfMath.GradientToP(h, sigma, pAt, maxMult);                        // [r]
            return [Tensor.FromArray(Array.ConvertAll(dp, v => (float)v), new Shape(r))];
        }));
    }

    private void Invalidate()
    {
        _composed?.Dispose();
        _composed = null;
        _composedFrom = null;
    }
}

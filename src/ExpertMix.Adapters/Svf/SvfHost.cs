// Attaches SVF to a model's target slots and switches experts or mixtures without ever writing a base weight.
using ExpertMix.Models;

namespace ExpertMix.Adapters.Svf;

/// <summary>Where a mixture of SVF experts is combined (spec §8/§9.3 <c>mask_space</c>).</summary>
public enum SvfMixSpace
{
    /// <summary>z'_m = Σ_k α_{k,m}·max_mult_k·sigmoid(p_{k,m}) (the reference, <c>mask_space = true</c>).</summary>
    Mask,

    /// <summary>z_m = max_mult·sigmoid(Σ_k α_{k,m}·p_{k,m}) (interpolation of the pre-sigmoid vectors).</summary>
    Parameter,
}

/// <summary>
/// The SVF runtime of one model: every matrix of the basis gets an <see cref="SvfLinear"/> in its slot (with no mask
/// it runs the base forward). <see cref="Apply"/> installs one expert's p (learnable: training updates it in place
/// and the next forward recomposes), <see cref="ApplyMixture"/> a fixed α-mixture, <see cref="Clear"/> returns to the
/// base weights. Base weights are never written, so switching is exact; disposing restores the original modules.
/// </summary>
public sealed class SvfHost : IDisposable
{
    private readonly ICausalLm _model;
    private readonly List<SvfLinear> _linears = [];

    /// <summary>Wraps the slots of <paramref name="basis"/>'s matrices in <paramref name="model"/> (both stay owned by the caller and must outlive the host).</summary>
    /// <exception cref="ArgumentException">A basis matrix the model lacks, or a slot already wrapped by another adapter kind.</exception>
    public SvfHost(ICausalLm model, SvfBasis basis)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(basis);
        _model = model;
        Basis = basis;
        var slots = model.Linears.ToDictionary(s => s.ModulePath, StringComparer.Ordinal);
        foreach (var m in basis.Matrices)
        {
            if (!slots.TryGetValue(m.ModulePath, out var slot)) throw new ArgumentException($"SVF basis matrix {m.ParamName} has no projection {m.ModulePath} in this {model.Info.Architecture}");
        }
        foreach (var m in basis.Matrices)
        {
            var slot = slots[m.ModulePath];
            var wrapper = new SvfLinear(slot.Module, m);
            slot.Module = wrapper;
            _linears.Add(wrapper);
        }
    }

    /// <summary>The basis.</summary>
    public SvfBasis Basis { get; }

    /// <summary>The SVF projections in basis order.</summary>
    internal IReadOnlyList<SvfLinear> Linears => _linears;

    /// <summary>
    /// Installs <paramref name="expert"/>: each matrix it adapts uses its p (by reference, so in-place optimiser
    /// updates take effect on the next forward); the other matrices run their base weights.
    /// </summary>
    /// <exception cref="ArgumentException">The expert belongs to another basis or does not fit it (named).</exception>
    public void Apply(SvfExpert expert)
    {
        ArgumentNullException.ThrowIfNull(expert);
        expert.CheckFits(Basis);
        foreach (var l in _linears)
        {
            var p = expert.Find(l.Basis.ParamName);
            if (p is null) l.ClearMask();
            else l.SetParameter(p, expert.MaxMult);
        }
    }

    /// <summary>
    /// Installs the mixture of <paramref name="experts"/> with weights <paramref name="alpha"/>: K numbers (one per
    /// expert, shared by all matrices) or K×M numbers, row-major [k, m] over the M basis matrices (per-layer α).
    /// In <see cref="SvfMixSpace.Mask"/> space z'_m = Σ_k α_{k,m}·max_mult_k·sigmoid(p_{k,m}); a matrix whose z' is
    /// all zero (every α 0) runs its base weights (renormalisation makes any constant z equal to the base anyway).
    /// A matrix an expert does not adapt contributes that expert's uniform z = 1.
    /// </summary>
    /// <exception cref="ArgumentException">α of the wrong length, a negative α in mask space, or an expert of another basis.</exception>
    public void ApplyMixture(IReadOnlyList<SvfExpert> experts, IReadOnlyList<double> alpha, SvfMixSpace space = SvfMixSpace.Mask)
    {
        ArgumentNullException.ThrowIfNull(experts);
        ArgumentNullException.ThrowIfNull(alpha);
        int k = experts.Count, mCount = _linears.Count;
        if (k == 0) throw new ArgumentException("SVF mixture: no experts");
        bool perMatrix = alpha.Count == k * mCount && mCount > 1;
        if (alpha.Count != k && !perMatrix) throw new ArgumentException($"SVF mixture: α has {alpha.Count} numbers; expected {k} (one per expert) or {k * mCount} (experts × matrices)");
        if (space == SvfMixSpace.Mask && alpha.Any(a => a < 0)) throw new ArgumentException("SVF mixture: α must be ≥ 0 in mask space");
        foreach (var e in experts) e.CheckFits(Basis);
        for (int mi = 0; mi < mCount; mi++)
        {
            var l = _linears[mi];
            int r = l.Basis.Rank;
            var acc = new double[r];
            for (int ki = 0; ki < k; ki++)
            {
                double a = perMatrix ? alpha[(ki * mCount) + mi] : alpha[ki];
                if (a == 0) continue;
                var pt = experts[ki].Find(l.Basis.ParamName);
                var p = pt is null ? null : pt.ToArray();                        // [r]
                for (int i = 0; i < r; i++)
                {
                    if (space == SvfMixSpace.Mask)
                    {
                        acc[i] += a * (p is null ? experts[ki].MaxMult : experts[ki].MaxMult / (1 + Math.Exp(-p[i])));   // absent: uniform z
                    }
                    else
                    {
                        acc[i] += a * (p is null ? 0 : p[i]);
                    }
                }
            }
            if (space == SvfMixSpace.Mask && acc.All(v => v == 0))
            {
                l.ClearMask();
                continue;
            }
            var z = new float[r];
            float maxMult = experts[0].MaxMult;
            for (int i = 0; i < r; i++) z[i] = space == SvfMixSpace.Mask ? (float)acc[i] : (float)(maxMult / (1 + Math.Exp(-acc[i])));
            l.SetMask(z);
        }
    }

    /// <summary>
    /// Runs the base weights until the returned scope is disposed, keeping every mask and cached W' (so switching
    /// back costs no recomposition): one reference forward of a KL penalty. Scopes do not nest.
    /// </summary>
    public IDisposable UseBaseWeights()
    {
        foreach (var l in _linears) l.Bypassed = true;
        return new BypassScope(_linears);
    }

    /// <summary>Back to the base weights everywhere (the SVF wrappers stay, idle).</summary>
    public void Clear()
    {
        foreach (var l in _linears) l.ClearMask();
    }

    /// <summary>Restores the model's original projections (the host must not be used afterwards).</summary>
    public void Dispose()
    {
        var byPath = _linears.ToDictionary(l => l.ModulePath, StringComparer.Ordinal);
        foreach (var slot in _model.Linears)
        {
            if (slot.Module is SvfLinear s && byPath.ContainsKey(s.ModulePath))
            {
                s.ClearMask();
                slot.Module = s.Base;   // the wrapper owned the base; hand it back to the slot
            }
        }
        _linears.Clear();
    }

    private sealed class BypassScope(List<SvfLinear> linears) : IDisposable
    {
        public void Dispose()
        {
            foreach (var l in linears) l.Bypassed = false;
        }
    }
}

// GPT-2's Conv1D projection: the checkpoint stores W as [in, out]; this is the only place that knows.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// HF <c>Conv1D</c> (GPT-2 c_attn, c_proj, c_fc): y = x·W_stored + b with W_stored [in, out]. The stored weight is
/// transposed once at load into an owned contiguous [out, in] copy (base weights are immutable, so this is a
/// constant rewrite), after which it behaves exactly like <see cref="Linear"/>: <see cref="EffectiveWeight"/> and
/// <see cref="NamedParameters"/> give W [out, in]. Saving back to HF layout must transpose again.
/// A meta (shape-only) stored weight is kept as a transposed view (no allocation).
/// </summary>
public sealed class Conv1DLinear : ILinearLike, IDisposable
{
    private readonly Linear _inner;

    /// <summary>Takes <paramref name="storedWeight"/> [in, out] (disposed here after the transposed copy) and <paramref name="bias"/> [out] (owned).</summary>
    /// <exception cref="ArgumentException">Weight not rank 2 or bias not [out].</exception>
    public Conv1DLinear(string modulePath, Tensor storedWeight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(storedWeight);
        if (storedWeight.Rank != 2) throw new ArgumentException($"{modulePath}: Conv1D weight {storedWeight.Describe()} must be [in, out]", nameof(storedWeight));
        Tensor w;
        using (Autograd.NoGrad())
        using (var t = storedWeight.Transpose(0, 1))
        {
            w = MetaTensor.IsMeta(storedWeight) ? t.Detach() : t.Compact();   // exactly sized: it lives as long as the model
        }
        TensorScope.Forget(w);
        storedWeight.Dispose();
        _inner = new Linear(modulePath, w, bias);
    }

    /// <inheritdoc/>
    public string ModulePath => _inner.ModulePath;

    /// <summary>W [out, in] (the transposed checkpoint tensor).</summary>
    public Tensor Weight => _inner.Weight;

    /// <summary>b [out] or null.</summary>
    public Tensor? Bias => _inner.Bias;

    /// <inheritdoc/>
    public int InFeatures => _inner.InFeatures;

    /// <inheritdoc/>
    public int OutFeatures => _inner.OutFeatures;

    /// <summary>See <see cref="Linear.EnablePacking"/>.</summary>
    public void EnablePacking() => _inner.EnablePacking();

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, ForwardContext ctx) => _inner.Forward(x, ctx);

    /// <inheritdoc/>
    public Tensor EffectiveWeight() => _inner.EffectiveWeight();

    /// <inheritdoc/>
    public Tensor? DeltaWeight() => null;

    /// <inheritdoc/>
    public void Merge()
    {
    }

    /// <inheritdoc/>
    public void Unmerge()
    {
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => _inner.NamedParameters();

    /// <summary>Releases the weight and bias.</summary>
    public void Dispose() => _inner.Dispose();
}

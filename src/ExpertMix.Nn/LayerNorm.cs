// LayerNorm over the last dimension with affine weight and bias (GPT-2 ln_1, ln_2, ln_f).
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>y = (x − μ)/√(σ² + ε) · w + b over the last dimension (biased variance), f32 compute; w, b [n].</summary>
public sealed class LayerNorm : IModule, IDisposable
{
    /// <summary>Wraps <paramref name="weight"/> and <paramref name="bias"/> [n] (owned).</summary>
    public LayerNorm(string path, Tensor weight, Tensor? bias, float eps)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ModulePath = path;
        Weight = weight;
        Bias = bias;
        Eps = eps;
    }

    /// <summary>The dotted module name.</summary>
    public string ModulePath { get; }

    /// <summary>w [n].</summary>
    public Tensor Weight { get; }

    /// <summary>b [n] or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>ε.</summary>
    public float Eps { get; }

    /// <summary>Normalises <paramref name="x"/> [..., n] (caller owns the result).</summary>
    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight, Bias, Eps);

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters()
    {
        yield return (ModulePath + ".weight", Weight);
        if (Bias is not null) yield return (ModulePath + ".bias", Bias);
    }

    /// <summary>Releases weight and bias.</summary>
    public void Dispose()
    {
        Weight.Dispose();
        Bias?.Dispose();
    }
}

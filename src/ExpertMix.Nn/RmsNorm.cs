// RMSNorm over the last dimension (LlamaRMSNorm; also Qwen3's per-head q_norm/k_norm).
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>y = w · x / √(mean(x²) + ε) over the last dimension, f32 compute; w [n].</summary>
public sealed class RmsNorm : IModule, IDisposable
{
    /// <summary>Wraps <paramref name="weight"/> [n] (owned).</summary>
    public RmsNorm(string path, Tensor weight, float eps)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ModulePath = path;
        Weight = weight;
        Eps = eps;
    }

    /// <summary>The dotted module name.</summary>
    public string ModulePath { get; }

    /// <summary>w [n].</summary>
    public Tensor Weight { get; }

    /// <summary>ε.</summary>
    public float Eps { get; }

    /// <summary>Normalises <paramref name="x"/> [..., n] (caller owns the result).</summary>
    public Tensor Forward(Tensor x) => Ops.RmsNorm(x, Weight, Eps);

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters()
    {
        yield return (ModulePath + ".weight", Weight);
    }

    /// <summary>Releases the weight.</summary>
    public void Dispose() => Weight.Dispose();
}

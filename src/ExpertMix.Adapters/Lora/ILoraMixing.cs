// A per-forward replacement for the fixed-weight sum of a LoRA linear's branches (X-LoRA's per-token mixing).
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// When a forward context carries a mixing under <see cref="LoraMixing.Key"/>, every unmerged
/// <see cref="LoraLinear"/> hands its forward to it instead of adding Σ w_i s_i B_i A_i x with the fixed user weights.
/// X-LoRA uses this to apply per-token, per-module expert scalings without touching model files.
/// </summary>
internal interface ILoraMixing
{
    /// <summary>y [..., out] for input <paramref name="x"/> [..., in] of <paramref name="linear"/> (base plus mixed branches).</summary>
    Tensor Forward(LoraLinear linear, Tensor x, ForwardContext ctx);
}

/// <summary>The context slot of <see cref="ILoraMixing"/>.</summary>
internal static class LoraMixing
{
    /// <summary>The slot key.</summary>
    public static readonly ContextKey<ILoraMixing> Key = new("lora.mixing");
}

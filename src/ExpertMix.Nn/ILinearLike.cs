// The one projection seam: every q/k/v/o, gate/up/down, lm_head and GPT-2 c_attn/c_proj/c_fc is an ILinearLike.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// Anything that behaves like y = x·Wᵀ + b with W [out, in]: plain linears, GPT-2 Conv1D, and (in Adapters) LoRA and
/// SVF wrappers. Model code calls only <see cref="Forward"/> and passes the context through untouched.
/// </summary>
public interface ILinearLike : IModule
{
    /// <summary>The HF dotted module name, e.g. <c>model.layers.0.self_attn.q_proj</c> (no <c>.weight</c> suffix).</summary>
    string ModulePath { get; }

    /// <summary>K: the input width.</summary>
    int InFeatures { get; }

    /// <summary>N: the output width.</summary>
    int OutFeatures { get; }

    /// <summary>y[..., N] = x[..., K]·W_effᵀ + b. The caller owns the result; <paramref name="x"/> is not disposed.</summary>
    /// <exception cref="ArgumentException">x does not end in <see cref="InFeatures"/>.</exception>
    Tensor Forward(Tensor x, ForwardContext ctx);

    /// <summary>The weight the forward applies, [out, in] (a new tensor object the caller disposes; may share storage).</summary>
    Tensor EffectiveWeight();

    /// <summary>W_eff − W_base [out, in] (caller owns it), or null when this linear adds nothing to its base.</summary>
    Tensor? DeltaWeight();

    /// <summary>Folds the delta into the base weight (no-op for a plain linear).</summary>
    void Merge();

    /// <summary>Restores the base weight retained by <see cref="Merge"/> (no-op for a plain linear).</summary>
    void Unmerge();
}

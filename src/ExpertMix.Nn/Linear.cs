// The plain projection y = x·Wᵀ + b with W [out, in] in its storage dtype (f32, bf16; f16 widened per call).
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// torch.nn.Linear: y[..., N] = x[..., K]·Wᵀ + b, W [N, K] (HF layout), b [N] or null. The weight stays in its storage
/// dtype: F32 and BF16 feed the GEMM/GEMV directly (one row, e.g. batch-1 decode, takes the GEMV path that streams W
/// once); F16 is widened to F32 on every call (correct but slow; load with DType F32 for f16 checkpoints).
/// Optionally <see cref="EnablePacking"/> keeps a pre-packed f32 copy for multi-row (prefill) products — it costs
/// 4 bytes per weight element, so it is off by default. Gradients reach W and b when they require grad.
/// </summary>
public sealed class Linear : ILinearLike, IDisposable
{
    private PackedWeight? _packed;

    /// <summary>Wraps <paramref name="weight"/> [out, in] and optional <paramref name="bias"/> [out]; takes ownership of both.</summary>
    /// <exception cref="ArgumentException">Weight not rank 2 or bias not [out].</exception>
    public Linear(string modulePath, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(modulePath);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"{modulePath}: weight {weight.Describe()} must be [out, in]", nameof(weight));
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != weight.Size(0)))
        {
            throw new ArgumentException($"{modulePath}: bias {bias.Describe()} must be [{weight.Size(0)}]", nameof(bias));
        }
        ModulePath = modulePath;
        Weight = weight;
        Bias = bias;
    }

    /// <inheritdoc/>
    public string ModulePath { get; }

    /// <summary>W [out, in] (owned by this module).</summary>
    public Tensor Weight { get; }

    /// <summary>b [out] or null (owned by this module).</summary>
    public Tensor? Bias { get; }

    /// <summary>Whether the weight is not owned (a tied view of another module's parameter).</summary>
    public bool IsTied { get; init; }

    /// <inheritdoc/>
    public int InFeatures => Weight.Size(1);

    /// <inheritdoc/>
    public int OutFeatures => Weight.Size(0);

    /// <summary>Keeps a pre-packed f32 copy of W for multi-row products (F32/BF16 weights only; repacks if already packed).</summary>
    public void EnablePacking()
    {
        if (Weight.DType is not (DType.F32 or DType.BF16) || MetaTensor.IsMeta(Weight)) return;
        if (_packed is null) _packed = PackedWeight.Pack(Weight);
        else _packed.Repack();
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (_packed is not null && !Weight.RequiresGrad && x.Numel / Math.Max(1, x.Size(-1)) > 1)
        {
            return Ops.Linear(x, _packed, Bias);
        }
        return Ops.Linear(x, Weight, Bias);
    }

    /// <inheritdoc/>
    public Tensor EffectiveWeight() => Weight.Detach();

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
    public IEnumerable<(string Path, Tensor Param)> NamedParameters()
    {
        if (!IsTied) yield return (ModulePath + ".weight", Weight);
        if (Bias is not null) yield return (ModulePath + ".bias", Bias);
    }

    /// <summary>Releases the weight (unless tied), bias and packed copy.</summary>
    public void Dispose()
    {
        _packed?.Dispose();
        _packed = null;
        if (!IsTied) Weight.Dispose();
        Bias?.Dispose();
    }
}

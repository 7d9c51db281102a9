// Options and result of LoraAdapter.Merge: a composition that always ends as one PEFT-ready adapter, as `lora merge` writes it.
using ExpertMix.Adapters.Lora;

namespace ExpertMix.Adapters.Merging;

/// <summary>Options of <see cref="LoraAdapter.Merge"/>.</summary>
public sealed record LoraMergeOptions
{
    /// <summary>The method (default <see cref="MergeMethod.DeltaSum"/>, as <c>lora merge</c>); see <see cref="MergeMethodInfo.Parse"/> for the names.</summary>
    public MergeMethod Method { get; init; } = MergeMethod.DeltaSum;

    /// <summary>One weight wᵢ per adapter (negative allowed), or null for wᵢ = 1; the target is T = Σ wᵢ sᵢ Bᵢ Aᵢ.</summary>
    public IReadOnlyList<float>? Weights { get; init; }

    /// <summary>The method's parameters: density ρ, λ, ε, γ, SVD rank and clamp, sign election, seed, SLERP t, output name.</summary>
    public MergeOptions Parameters { get; init; } = new();

    /// <summary>
    /// How a dense result (delta-sum and the mergekit methods) becomes an adapter: truncated SVD per module with this
    /// rank rule; null = the smallest rank within 1% relative error per module (<see cref="LoraAdapter.DefaultRecompression"/>).
    /// Ignored by methods that produce factors.
    /// </summary>
    public RankSelection? Recompress { get; init; }
}

/// <summary>What <see cref="LoraAdapter.Merge"/> returns. Owns <see cref="Adapter"/>.</summary>
public sealed class LoraMergeResult : IDisposable
{
    private readonly IDisposable _owner;

    internal LoraMergeResult(LoraAdapter adapter, IDisposable owner, MergeResult merge, RecompressResult? recompressed)
    {
        Adapter = adapter;
        _owner = owner;
        Method = merge.Method;
        EffectiveMethod = merge.EffectiveMethod;
        CompositionError = merge.CompositionError;
        RecompressionError = recompressed?.Error;
        ErrorVsTarget = recompressed?.TargetError;
    }

    /// <summary>The merged adapter (scaling 1: r = lora_alpha); save it with <see cref="LoraAdapter.Save"/>.</summary>
    public LoraAdapter Adapter { get; }

    /// <summary>The method asked for.</summary>
    public MergeMethod Method { get; }

    /// <summary>The method run (PEFT forces <see cref="MergeMethod.PeftLinear"/> for a single adapter).</summary>
    public MergeMethod EffectiveMethod { get; }

    /// <summary>The merge's ‖ΔW − T‖_F / ‖T‖_F per module and aggregated, before any re-compression.</summary>
    public CompositionErrorReport CompositionError { get; }

    /// <summary>Whether the method gave dense deltas that were re-compressed into <see cref="Adapter"/>.</summary>
    public bool IsRecompressed => RecompressionError is not null;

    /// <summary>‖B·A − ΔW‖_F / ‖ΔW‖_F of the re-compression against the dense merge; null when the method produced factors.</summary>
    public CompositionErrorReport? RecompressionError { get; }

    /// <summary>‖B·A − T‖_F / ‖T‖_F of the re-compressed adapter against the target; null when the method produced factors (then <see cref="CompositionError"/> is that error).</summary>
    public CompositionErrorReport? ErrorVsTarget { get; }

    /// <inheritdoc/>
    public void Dispose() => _owner.Dispose();
}

// The output of a LoRA composition: a factorised adapter or dense per-module deltas, with its composition error.
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// The result of <see cref="LoraMerger.Merge"/>: exactly one of <see cref="Adapter"/> (scaling 1: r = lora_alpha,
/// no rsLoRA) or <see cref="DenseDeltas"/> (ΔW [out, in] f32 per module path, HF layout), plus the composition error
/// against T = Σ w_i ΔW_i. Owns its tensors.
/// </summary>
internal sealed class MergeResult : IDisposable
{
    internal MergeResult(MergeMethod method, MergeMethod effectiveMethod, LoraAdapter? adapter, IReadOnlyDictionary<string, Tensor>? dense,
        CompositionErrorReport error, IReadOnlyList<ModuleContributions>? targets = null)
    {
        Targets = targets;
        if ((adapter is null) == (dense is null)) throw new ArgumentException("a merge result holds either an adapter or dense deltas");
        Method = method;
        EffectiveMethod = effectiveMethod;
        Adapter = adapter;
        DenseDeltas = dense;
        CompositionError = error;
    }

    /// <summary>The method asked for.</summary>
    public MergeMethod Method { get; }

    /// <summary>The method run (PEFT forces <see cref="MergeMethod.PeftLinear"/> for a single adapter).</summary>
    public MergeMethod EffectiveMethod { get; }

    /// <summary>The merged adapter (factorised methods), or null.</summary>
    public LoraAdapter? Adapter { get; }

    /// <summary>Dense ΔW [out, in] by module path (dense methods), or null.</summary>
    public IReadOnlyDictionary<string, Tensor>? DenseDeltas { get; }

    /// <summary>‖ΔW_composed − T‖_F / ‖T‖_F per module and aggregated.</summary>
    public CompositionErrorReport CompositionError { get; }

    /// <summary>The inputs' per-module terms (T = Σ w_i s_i B_i A_i), kept to score a re-compression against T.</summary>
    internal IReadOnlyList<ModuleContributions>? Targets { get; }

    /// <summary>Whether the result is an adapter.</summary>
    public bool IsAdapter => Adapter is not null;

    /// <summary>ΔW [out, in] f32 of <paramref name="modulePath"/> whichever the form (caller owns it).</summary>
    /// <exception cref="KeyNotFoundException">The module is not in the result.</exception>
    public Tensor DeltaOf(string modulePath)
    {
        if (Adapter is { } a)
        {
            return a.Modules.TryGetValue(modulePath, out var m) ? m.Delta() : throw new KeyNotFoundException($"merged adapter has no module {modulePath}");
        }
        return DenseDeltas!.TryGetValue(modulePath, out var d) ? d.Detach() : throw new KeyNotFoundException($"merged deltas have no module {modulePath}");
    }

    /// <summary>The module paths of the result.</summary>
    public IEnumerable<string> ModulePaths => Adapter is { } a ? a.Modules.Keys : DenseDeltas!.Keys;

    /// <inheritdoc/>
    public void Dispose()
    {
        Adapter?.Dispose();
        if (DenseDeltas is not null)
        {
            foreach (var t in DenseDeltas.Values) t.Dispose();
        }
    }
}

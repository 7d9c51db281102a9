// A serialisable optimizer state: a plain name → tensor map plus string metadata (safetensors-shaped).
namespace ExpertMix.Tensors.Optim;

/// <summary>
/// Optimizer state as safetensors can hold it: <see cref="Tensors"/> maps names to tensors and
/// <see cref="Metadata"/> maps names to strings (safetensors' <c>__metadata__</c>). The state owns its tensors:
/// dispose it when done.
/// </summary>
public sealed class OptimizerState : IDisposable
{
    /// <summary>Creates a state from existing maps (takes ownership of the tensors).</summary>
    public OptimizerState(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Name → tensor (e.g. <c>"layer.weight.exp_avg"</c>).</summary>
    public Dictionary<string, Tensor> Tensors { get; }

    /// <summary>Name → string (e.g. <c>"optimizer" = "AdamW"</c>).</summary>
    public Dictionary<string, string> Metadata { get; }

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}

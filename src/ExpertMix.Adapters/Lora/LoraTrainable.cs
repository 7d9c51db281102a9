// One LoRA adapter being trained on a frozen base model: what the shared trainer needs.
using ExpertMix.Adapters.Training;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// Trains adapter <see cref="Adapter"/> attached to <see cref="Host"/>'s model (base frozen): its factors are the
/// trainable parameters (named by PEFT key), the loss is <see cref="CausalLmLoss"/>, dropout draws from the host's
/// stream, and the artefact is a PEFT adapter directory.
/// </summary>
internal sealed class LoraTrainable : ITrainable
{
    /// <summary>Trains <paramref name="adapter"/>, which must be attached to <paramref name="host"/>.</summary>
    public LoraTrainable(LoraHost host, LoraAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(adapter);
        if (!host.Adapters.Any(a => ReferenceEquals(a.Adapter, adapter))) throw new ArgumentException($"adapter '{adapter.Name}' is not attached to this host");
        Host = host;
        Adapter = adapter;
        TrainableParameters = adapter.NamedFactors().ToList();
        foreach (var (_, p) in TrainableParameters) p.RequiresGrad = true;
        foreach (var (name, p) in host.Model.NamedParameters())
        {
            if (p.RequiresGrad) throw new ArgumentException($"base parameter {name} requires grad; LoRA training keeps the base frozen");
        }
    }

    /// <summary>The runtime the adapter is attached to.</summary>
    public LoraHost Host { get; }

    /// <summary>The adapter being trained.</summary>
    public LoraAdapter Adapter { get; }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Param)> TrainableParameters { get; }

    /// <inheritdoc/>
    public Rng? Rng => Host.DropoutRng;

    /// <inheritdoc/>
    public Tensor Loss(TrainingBatch batch, ForwardMode mode) => CausalLmLoss.Compute(Host.Model, batch, mode);

    /// <inheritdoc/>
    public void SaveArtifact(string dir) => PeftFormat.Save(Adapter, dir);
}

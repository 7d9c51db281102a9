// The X-LoRA gate (and optionally its experts) on the shared trainer.
using ExpertMix.Adapters.Training;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// Trains an <see cref="XLoraModel"/>: the gate's parameters (plus the experts' factors with
/// <see cref="XLoraConfig.UseTrainableAdapters"/>) are the trainable set, built explicitly (never by name matching);
/// the loss is plain next-token cross-entropy on the real pass (<see cref="CausalLmLoss"/>); dropout draws from the
/// model's stream; the artefact is an X-LoRA directory written by <see cref="SaveArtifact"/>.
/// </summary>
public sealed class XLoraTrainable : ITrainable
{
    private readonly Action<XLoraModel, string> _save;

    /// <summary>Trains <paramref name="model"/>; <paramref name="save"/> writes the artefact directory.</summary>
    /// <exception cref="ArgumentException">A base parameter requires grad.</exception>
    public XLoraTrainable(XLoraModel model, Action<XLoraModel, string> save)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(save);
        foreach (var (name, p) in model.Base.NamedParameters())
        {
            if (p.RequiresGrad) throw new ArgumentException($"base parameter {name} requires grad; X-LoRA training keeps the base frozen");
        }
        Model = model;
        _save = save;
        TrainableParameters = model.TrainableParameters;
    }

    /// <summary>The model being trained.</summary>
    public XLoraModel Model { get; }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Param)> TrainableParameters { get; }

    /// <inheritdoc/>
    public Rng? Rng => Model.DropoutRng;

    /// <inheritdoc/>
    public Tensor Loss(TrainingBatch batch, ForwardMode mode) => CausalLmLoss.Compute(Model, batch, mode);

    /// <inheritdoc/>
    public void SaveArtifact(string dir) => _save(Model, dir);
}

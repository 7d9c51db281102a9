// SVF p vectors on the shared trainer: next-token loss on completions (sft), artefact = an SVF expert directory.
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Svf.Training;

/// <summary>
/// Trains only the pre-sigmoid vectors p of an <see cref="SvfExpert"/> installed in an <see cref="SvfHost"/> (the base
/// weights stay frozen; every forward uses W'(p) = c·U diag(σ ⊙ sigmoid(p)) Vᵀ and the closed-form gradient of spec §6).
/// The loss is <see cref="CausalLmLoss"/> (mean next-token cross-entropy over the label tokens, so with
/// completion-only labels the prompt is masked). The artefact is the expert directory (<see cref="SvfExpert.Save"/>)
/// with <c>training_mode</c> set to <see cref="TrainingMode"/>. The policy trainer reuses this type for its
/// checkpoints, with its own random stream in <see cref="Rng"/>.
/// </summary>
internal sealed class SvfTrainable : ITrainable
{
    /// <summary>Trains <paramref name="expert"/> (installed into <paramref name="host"/> here) on <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">A base parameter requires grad, or a p vector does not require grad (named).</exception>
    public SvfTrainable(ICausalLm model, SvfHost host, SvfExpert expert, string trainingMode = "sft", Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(expert);
        foreach (var (name, p) in model.NamedParameters())
        {
            if (p.RequiresGrad) throw new ArgumentException($"base parameter {name} requires grad; SVF training keeps the base frozen");
        }
        foreach (var (name, p) in expert.Parameters)
        {
            if (!p.RequiresGrad) throw new ArgumentException($"SVF expert '{expert.Name}': p of {name} does not require grad");
        }
        Model = model;
        Host = host;
        Expert = expert;
        TrainingMode = trainingMode;
        Rng = rng;
        TrainableParameters = [.. expert.Parameters.Select(x => (x.ParamName, x.P))];
        host.Apply(expert);
    }

    /// <summary>The model (its SVF targets wrapped by <see cref="Host"/>).</summary>
    public ICausalLm Model { get; }

    /// <summary>The SVF runtime.</summary>
    public SvfHost Host { get; }

    /// <summary>The expert being trained (its p tensors are the trainable parameters).</summary>
    public SvfExpert Expert { get; }

    /// <summary>Written to <c>svf_config.json</c> as <c>training_mode</c> (sft, reinforce, grpo).</summary>
    public string TrainingMode { get; }

    /// <summary>Seed recorded in <c>svf_config.json</c>.</summary>
    public ulong Seed { get; init; }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Param)> TrainableParameters { get; }

    /// <inheritdoc/>
    public Rng? Rng { get; }

    /// <inheritdoc/>
    public Tensor Loss(TrainingBatch batch, ForwardMode mode) => CausalLmLoss.Compute(Model, batch, mode);

    /// <inheritdoc/>
    public void SaveArtifact(string dir)
    {
        var config = (Expert.Config ?? new SvfExpertConfig(Host.Basis.Targets.ToString())) with { TrainingMode = TrainingMode, Seed = Seed };
        // A view over the same vectors (not disposed: the tensors belong to Expert).
        var view = new SvfExpert(Expert.Name, Expert.Parameters, Expert.MaxMult, Expert.BaseModel, Expert.BasisSha256, config);
        view.Save(dir);
    }
}

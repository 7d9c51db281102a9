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
internal sealed class XLoraTrainable : ITrainable
{
    private readonly Action<XLoraModel, string> _save;

    /// <summary>Trains <paramref name="model"/>; <paramref name="save"/> writes the artefact directory.</summary>
    /// <exception cref="ArgumentException">A base parameter requires grad, or regularisers without softmax.</exception>
    public XLoraTrainable(XLoraModel model, Action<XLoraModel, string> save, XLoraRegularizers? regularizers = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(save);
        Regularizers = regularizers ?? new XLoraRegularizers();
        if (Regularizers.IsActive && !model.Config.EnableSoftmax) throw new ArgumentException("the entropy and load-balance regularisers need enable_softmax (λ must be a distribution)");
        foreach (var (name, p) in model.Base.NamedParameters())
        {
            if (p.RequiresGrad) throw new ArgumentException($"base parameter {name} requires grad; X-LoRA training keeps the base frozen");
        }
        Model = model;
        _save = save;
        TrainableParameters = model.TrainableParameters;
    }

    /// <summary>Optional regularisers added to the loss (off by default).</summary>
    public XLoraRegularizers Regularizers { get; }

    /// <summary>The model being trained.</summary>
    public XLoraModel Model { get; }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Param)> TrainableParameters { get; }

    /// <inheritdoc/>
    public Rng? Rng => Model.DropoutRng;

    /// <inheritdoc/>
    /// <remarks>
    /// With regularisers in training: L = CE − β·mean H(λ) + γ·KL(p ‖ uniform), where H(λ) = −Σ_i λ_i log λ_i per
    /// (b, t, ℓ) and p = mean over (b, t, ℓ) of λ, so KL = Σ_i p_i log(n·p_i). Evaluation reports the plain CE.
    /// </remarks>
    public Tensor Loss(TrainingBatch batch, ForwardMode mode)
    {
        var loss = CausalLmLoss.Compute(Model, batch, mode);
        if (!Regularizers.IsActive || mode != ForwardMode.Train || Model.LiveScalings is not { } lambda) return loss;
        int n = Model.Config.ExpertCount;
        var flat = lambda.Reshape(-1, n);                                                    // [N, n]
        var plogp = Ops.Mul(flat, Ops.Log(Ops.Clamp(flat, 1e-12f, null)));                  // [N, n]
        if (Regularizers.EntropyBonus != 0)
        {
            var entropy = Ops.Mul(Ops.Mean(plogp), -n);                                      // mean_(b,t,ℓ) H(λ)
            loss = Ops.Sub(loss, Ops.Mul(entropy, (float)Regularizers.EntropyBonus));
        }
        if (Regularizers.LoadBalance != 0)
        {
            var p = Ops.Mean(flat, 0);                                                       // [n]
            var kl = Ops.Add(Ops.Mul(Ops.Mean(Ops.Mul(p, Ops.Log(Ops.Clamp(p, 1e-12f, null)))), n), MathF.Log(n));
            loss = Ops.Add(loss, Ops.Mul(kl, (float)Regularizers.LoadBalance));
        }
        return loss;
    }

    /// <inheritdoc/>
    public void SaveArtifact(string dir) => _save(Model, dir);
}

/// <summary>Optional X-LoRA training regularisers (spec §5); both 0 (off) by default.</summary>
/// <param name="EntropyBonus">β: subtracts β·mean H(λ) (rewards spread-out scalings).</param>
/// <param name="LoadBalance">γ: adds γ·KL(mean λ ‖ uniform) (rewards using every expert).</param>
internal sealed record XLoraRegularizers(double EntropyBonus = 0, double LoadBalance = 0)
{
    /// <summary>Whether any term is on.</summary>
    public bool IsActive => EntropyBonus != 0 || LoadBalance != 0;
}

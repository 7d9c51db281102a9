// What the shared trainer needs from LoRA, X-LoRA or SVF: trainable tensors, a loss, and how to save the result.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Training;

/// <summary>
/// A model with a set of trainable parameters (everything else frozen). The trainer owns the loop, optimizer,
/// schedule, checkpoints and resume; the trainable supplies the loss and the export format (e.g. a PEFT adapter).
/// </summary>
internal interface ITrainable
{
    /// <summary>The parameters the optimizer updates, with stable unique names (checkpoint keys), requiring grad.</summary>
    IReadOnlyList<(string Name, Tensor Param)> TrainableParameters { get; }

    /// <summary>
    /// Mean next-token cross-entropy over the batch's loss tokens (rank-0, on the autograd tape when
    /// <paramref name="mode"/> is Train), summed over tokens ÷ <see cref="TrainingBatch.LossTokens"/>.
    /// Intermediates belong to the caller's <see cref="TensorScope"/>, which must stay open until <c>Backward()</c> ran.
    /// </summary>
    Tensor Loss(TrainingBatch batch, ForwardMode mode);

    /// <summary>The random stream the training forward draws from (e.g. LoRA dropout), saved and restored by checkpoints; null if none.</summary>
    Rng? Rng { get; }

    /// <summary>Writes the trained artefact (e.g. a PEFT adapter directory) to <paramref name="dir"/> atomically per file.</summary>
    void SaveArtifact(string dir);
}

// Learning-rate schedule contract: a multiplier of the base rate per optimizer step (torch LambdaLR style).
namespace ExpertMix.Tensors.Optim;

/// <summary>
/// A learning-rate schedule. <see cref="Factor"/> is the multiplier applied to each group's base rate at a step
/// (the lambda of torch's <c>LambdaLR</c> as built by transformers' schedule helpers);
/// <see cref="LearningRate"/> = <see cref="BaseLearningRate"/> · <see cref="Factor"/>.
/// Step 0 is the first optimizer step.
/// </summary>
public interface ILrSchedule
{
    /// <summary>The base (peak) learning rate.</summary>
    double BaseLearningRate { get; }

    /// <summary>The multiplier at <paramref name="step"/> (≥ 0).</summary>
    double Factor(int step);

    /// <summary>The learning rate at <paramref name="step"/>.</summary>
    double LearningRate(int step) => BaseLearningRate * Factor(step);
}

// Constant learning rate, optionally after a linear warm-up (transformers get_constant_schedule_with_warmup).
namespace ExpertMix.Tensors.Optim;

/// <summary>A constant rate, optionally after a linear warm-up (transformers' <c>get_constant_schedule_with_warmup</c>).</summary>
public sealed class ConstantSchedule : ILrSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count or rate.</exception>
    public ConstantSchedule(double baseLearningRate, int warmupSteps = 0)
    {
        LrScheduleChecks.Check(baseLearningRate, warmupSteps, warmupSteps, 0);
        BaseLearningRate = baseLearningRate;
        WarmupSteps = warmupSteps;
    }

    /// <inheritdoc/>
    public double BaseLearningRate { get; }

    /// <summary>Warm-up steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>step &lt; warmup ? step / max(1, warmup) : 1.</summary>
    public double Factor(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return step < WarmupSteps ? (double)step / Math.Max(1, WarmupSteps) : 1.0;
    }
}

// Linear warm-up then linear decay (transformers get_linear_schedule_with_warmup), optional min-lr floor.
namespace ExpertMix.Tensors.Optim;

/// <summary>Linear warm-up then linear decay to 0 (or to a minimum ratio) at <c>TotalSteps</c>.</summary>
public sealed class LinearWarmupLinearDecaySchedule : ILrSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative counts, warm-up &gt; total, or a ratio outside [0, 1].</exception>
    public LinearWarmupLinearDecaySchedule(double baseLearningRate, int warmupSteps, int totalSteps, double minLrRatio = 0)
    {
        LrScheduleChecks.Check(baseLearningRate, warmupSteps, totalSteps, minLrRatio);
        (BaseLearningRate, WarmupSteps, TotalSteps, MinLrRatio) = (baseLearningRate, warmupSteps, totalSteps, minLrRatio);
    }

    /// <inheritdoc/>
    public double BaseLearningRate { get; }

    /// <summary>Warm-up steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>Steps after which the factor stays at its floor.</summary>
    public int TotalSteps { get; }

    /// <summary>Floor r of the factor after warm-up (0 = transformers' behaviour).</summary>
    public double MinLrRatio { get; }

    /// <summary>
    /// transformers' <c>get_linear_schedule_with_warmup</c>: step &lt; W ? step / max(1, W) :
    /// f = max(0, (T − step) / max(1, T − W)); with a floor r the decay part is max(0, f)·(1 − r) + r.
    /// </summary>
    public double Factor(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        double f = Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
        return MinLrRatio == 0 ? f : f * (1 - MinLrRatio) + MinLrRatio;
    }
}

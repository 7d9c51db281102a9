// Linear warm-up then cosine decay (transformers get_cosine_schedule_with_warmup), optional min-lr floor.
namespace ExpertMix.Tensors.Optim;

/// <summary>Linear warm-up then cosine decay (transformers' <c>get_cosine_schedule_with_warmup</c>).</summary>
public sealed class LinearWarmupCosineDecaySchedule : ILrSchedule
{
    /// <summary>Creates the schedule (<paramref name="cycles"/> = 0.5: one half-cosine from 1 to 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative counts, warm-up &gt; total, or a ratio outside [0, 1].</exception>
    public LinearWarmupCosineDecaySchedule(double baseLearningRate, int warmupSteps, int totalSteps, double minLrRatio = 0, double cycles = 0.5)
    {
        LrScheduleChecks.Check(baseLearningRate, warmupSteps, totalSteps, minLrRatio);
        if (!(cycles >= 0)) throw new ArgumentOutOfRangeException(nameof(cycles), cycles, "cycles must be ≥ 0");
        (BaseLearningRate, WarmupSteps, TotalSteps, MinLrRatio, Cycles) = (baseLearningRate, warmupSteps, totalSteps, minLrRatio, cycles);
    }

    /// <inheritdoc/>
    public double BaseLearningRate { get; }

    /// <summary>Warm-up steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>Total steps (progress reaches 1 here).</summary>
    public int TotalSteps { get; }

    /// <summary>Floor r (transformers' <c>min_lr_rate</c> of <c>get_cosine_with_min_lr_schedule_with_warmup</c>).</summary>
    public double MinLrRatio { get; }

    /// <summary>Number of cosine cycles (transformers' <c>num_cycles</c>, default 0.5).</summary>
    public double Cycles { get; }

    /// <summary>
    /// step &lt; W ? step / max(1, W) : with progress = (step − W) / max(1, T − W),
    /// f = 0.5·(1 + cos(π·cycles·2·progress)); without a floor max(0, f), else max(0, f·(1 − r) + r).
    /// </summary>
    public double Factor(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        double f = 0.5 * (1.0 + Math.Cos(Math.PI * Cycles * 2.0 * progress));
        if (MinLrRatio != 0) f = f * (1 - MinLrRatio) + MinLrRatio;
        return Math.Max(0.0, f);
    }
}

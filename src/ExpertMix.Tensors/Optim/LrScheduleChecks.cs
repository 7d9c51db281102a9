// Shared argument checks of the learning-rate schedules.
namespace ExpertMix.Tensors.Optim;

internal static class LrScheduleChecks
{
    public static void Check(double baseLearningRate, int warmupSteps, int totalSteps, double minLrRatio)
    {
        if (!(baseLearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(baseLearningRate), baseLearningRate, "learning rate must be ≥ 0");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps < warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"total steps must be ≥ warm-up steps ({warmupSteps})");
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(minLrRatio), minLrRatio, "min lr ratio must be in [0, 1]");
    }
}

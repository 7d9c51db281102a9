// The f32 scalars of one AdamW step, derived in double from the options and rounded once (torch's Scalar casts).
namespace ExpertMix.Tensors.Optim;

/// <summary>
/// The f32 scalars of one AdamW step, derived in double from the hyper-parameters and rounded once (as torch's CPU
/// kernels cast their <c>Scalar</c> arguments to the tensor dtype).
/// </summary>
/// <param name="Decay">(float)(1 − lr·wd).</param>
/// <param name="Beta1">(float)β1.</param>
/// <param name="OneMinusBeta1">(float)(1 − β1).</param>
/// <param name="Beta2">(float)β2.</param>
/// <param name="OneMinusBeta2">(float)(1 − β2).</param>
/// <param name="BiasCorrection2Sqrt">(float)√(1 − β2ᵗ).</param>
/// <param name="Eps">(float)ε.</param>
/// <param name="NegStepSize">(float)(−lr / (1 − β1ᵗ)).</param>
public readonly record struct AdamWScalars(
    float Decay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
    float BiasCorrection2Sqrt, float Eps, float NegStepSize)
{
    /// <summary>The scalars of step <paramref name="step"/> (1-based) with learning rate <paramref name="lr"/>.</summary>
    public static AdamWScalars For(AdamWOptions options, double lr, long step)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        double bc1 = 1 - Math.Pow(options.Beta1, step);
        double bc2 = 1 - Math.Pow(options.Beta2, step);
        return new AdamWScalars(
            (float)(1 - lr * options.WeightDecay),
            (float)options.Beta1,
            (float)(1 - options.Beta1),
            (float)options.Beta2,
            (float)(1 - options.Beta2),
            (float)Math.Sqrt(bc2),
            (float)options.Eps,
            (float)-(lr / bc1));
    }
}

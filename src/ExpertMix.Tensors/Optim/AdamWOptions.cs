// Hyper-parameters of AdamW (torch.optim.AdamW names and defaults; doubles like Python floats).
namespace ExpertMix.Tensors.Optim;

/// <summary>
/// AdamW hyper-parameters with <c>torch.optim.AdamW</c> defaults. They are doubles, as Python floats are: every
/// scalar that torch derives from them (1 − lr·wd, lr / (1 − β1ᵗ), √(1 − β2ᵗ)) is computed in double and rounded to
/// f32 once, at the kernel, exactly as torch's CPU kernels cast their <c>Scalar</c> arguments.
/// </summary>
/// <param name="LearningRate">lr (default 1e-3); must be ≥ 0.</param>
/// <param name="Beta1">β1, first-moment decay in [0, 1) (default 0.9).</param>
/// <param name="Beta2">β2, second-moment decay in [0, 1) (default 0.999).</param>
/// <param name="Eps">ε added to the bias-corrected √v (default 1e-8); must be ≥ 0.</param>
/// <param name="WeightDecay">decoupled weight decay wd (default 1e-2): p ← p·(1 − lr·wd); must be ≥ 0.</param>
/// <param name="Amsgrad">use max over time of v in the denominator (torch's <c>amsgrad=True</c>).</param>
public sealed record AdamWOptions(
    double LearningRate = 1e-3,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Eps = 1e-8,
    double WeightDecay = 1e-2,
    bool Amsgrad = false)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid value (torch's checks).</summary>
    public void Validate()
    {
        if (!(LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be ≥ 0");
        if (!(Eps >= 0)) throw new ArgumentOutOfRangeException(nameof(Eps), Eps, "eps must be ≥ 0");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "beta1 must be in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "beta2 must be in [0, 1)");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "weight decay must be ≥ 0");
    }
}

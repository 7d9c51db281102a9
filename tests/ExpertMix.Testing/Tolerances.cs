// The tolerance table of docs/numerics-and-design.md §4, in one place.
namespace ExpertMix.Testing;

/// <summary>Named limits from the numerics policy.</summary>
public static class Tolerances
{
    /// <summary>SIMD vs scalar element-wise, relative to max(|e|,|a|).</summary>
    public const double SimdRelative = 1e-6;
    /// <summary>Fused vs composed op, max abs.</summary>
    public const double FusedAbs = 1e-5;
    /// <summary>Matmul/reductions vs reference, NMSE.</summary>
    public const double MatmulNmse = 1e-7;
    /// <summary>bf16 storage, relative.</summary>
    public const double Bf16Relative = 1e-2;
    /// <summary>f16 storage, relative.</summary>
    public const double F16Relative = 3.9e-3;
    /// <summary>Backward vs double finite differences, max abs.</summary>
    public const double GradAbs = 1e-4;
    /// <summary>fp32 op vs PyTorch golden, relative-scaled.</summary>
    public const double GoldenOpRelative = 1e-5;
    /// <summary>Training trajectory vs PyTorch, relative per step.</summary>
    public const double TrajectoryRelative = 1e-4;
    /// <summary>Tiny-model logits vs PyTorch, max abs.</summary>
    public const double TinyLogitsAbs = 1e-4;
}

// The composition-error metric of docs §4: E = ‖ΔW_composed − T‖_F / ‖T‖_F per module and in aggregate.
namespace ExpertMix.Adapters.Merging;

/// <summary>How a module's error was computed.</summary>
public enum ErrorEvaluation
{
    /// <summary>From R×R Gram traces of the factors (no ΔW materialised).</summary>
    GramTrace,

    /// <summary>Element by element against T accumulated in f64.</summary>
    Dense,
}

/// <summary>One module's composition error.</summary>
/// <param name="ModulePath">HF module path.</param>
/// <param name="ErrorNorm">‖ΔW_composed − T‖_F.</param>
/// <param name="TargetNorm">‖T‖_F.</param>
/// <param name="Evaluation">How it was computed.</param>
public sealed record ModuleCompositionError(string ModulePath, double ErrorNorm, double TargetNorm, ErrorEvaluation Evaluation)
{
    /// <summary>E = ‖ΔW_composed − T‖_F / ‖T‖_F (0 when both are 0, +∞ when only T is 0).</summary>
    public double Relative => TargetNorm > 0 ? ErrorNorm / TargetNorm : ErrorNorm > 0 ? double.PositiveInfinity : 0;
}

/// <summary>Per-module composition errors with the aggregates of §4.</summary>
public sealed class CompositionErrorReport
{
    /// <summary>A report over <paramref name="modules"/> (sorted by path).</summary>
    public CompositionErrorReport(IEnumerable<ModuleCompositionError> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        Modules = modules.OrderBy(m => m.ModulePath, StringComparer.Ordinal).ToArray();
        double err = Modules.Sum(m => m.ErrorNorm * m.ErrorNorm);
        double tgt = Modules.Sum(m => m.TargetNorm * m.TargetNorm);
        Aggregate = tgt > 0 ? Math.Sqrt(err / tgt) : err > 0 ? double.PositiveInfinity : 0;
        var worst = Modules.OrderByDescending(m => m.Relative).FirstOrDefault();
        Max = worst?.Relative ?? 0;
        MaxModule = worst?.ModulePath;
    }

    /// <summary>Per-module errors, by path.</summary>
    public IReadOnlyList<ModuleCompositionError> Modules { get; }

    /// <summary>sqrt(Σ_ℓ ‖ΔW_ℓ − T_ℓ‖² / Σ_ℓ ‖T_ℓ‖²).</summary>
    public double Aggregate { get; }

    /// <summary>max_ℓ E_ℓ.</summary>
    public double Max { get; }

    /// <summary>The module attaining <see cref="Max"/>, or null for an empty report.</summary>
    public string? MaxModule { get; }

    /// <inheritdoc/>
    public override string ToString() => $"composition error: aggregate {Aggregate:G4}, max {Max:G4} ({MaxModule}) over {Modules.Count} modules";
}

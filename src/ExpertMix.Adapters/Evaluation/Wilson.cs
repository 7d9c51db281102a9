// Wilson score interval for a binomial proportion (spec svf-transformer2 §12.3: single accuracies).
namespace ExpertMix.Adapters.Evaluation;

/// <summary>The Wilson score interval of an accuracy k/n.</summary>
internal static class Wilson
{
    /// <summary>z of a two-sided 95% interval: Φ⁻¹(0.975) = 1.959963984540054.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// The Wilson score interval of p̂ = k/n: centre (p̂ + z²/(2n)) / (1 + z²/n), half-width
    /// z/(1 + z²/n) · √(p̂(1 − p̂)/n + z²/(4n²)); bounds clamped to [0, 1], and exactly 0 (k = 0) or 1 (k = n)
    /// there, where the closed form only reaches them up to rounding. With n = 0 the interval is the
    /// uninformative (0, 0, 1).
    /// </summary>
    /// <param name="correct">k, the number of correct items.</param>
    /// <param name="n">The number of items.</param>
    /// <param name="z">The normal quantile (default <see cref="Z95"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 0, k outside [0, n], or z ≤ 0.</exception>
    public static AccuracyInterval Interval(int correct, int n, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (correct < 0 || correct > n) throw new ArgumentOutOfRangeException(nameof(correct), correct, $"correct must be in [0, {n}]");
        if (!(z > 0)) throw new ArgumentOutOfRangeException(nameof(z), z, "z must be > 0");
        if (n == 0) return new AccuracyInterval(0, 0, 1);
        double p = (double)correct / n;
        double z2 = z * z;
        double denominator = 1 + (z2 / n);
        double centre = (p + (z2 / (2.0 * n))) / denominator;
        double half = z / denominator * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n)));
        double low = correct == 0 ? 0 : Math.Max(0, centre - half);
        double high = correct == n ? 1 : Math.Min(1, centre + half);
        return new AccuracyInterval(p, low, high);
    }

    /// <summary>The Wilson interval of the verdicts in <paramref name="correct"/> (see <see cref="Interval(int, int, double)"/>).</summary>
    public static AccuracyInterval Interval(IReadOnlyList<bool> correct, double z = Z95)
    {
        ArgumentNullException.ThrowIfNull(correct);
        return Interval(correct.Count(c => c), correct.Count, z);
    }
}

// Accuracy with a percentile-bootstrap confidence interval, and mean/spread over seeds.
namespace ExpertMix.Adapters.Evaluation;

/// <summary>An accuracy with its confidence interval.</summary>
/// <param name="Accuracy">Mean correctness, k/n.</param>
/// <param name="Low">Lower bound of the interval.</param>
/// <param name="High">Upper bound of the interval.</param>
internal sealed record AccuracyInterval(double Accuracy, double Low, double High);

/// <summary>Percentile bootstrap over items.</summary>
internal static class Bootstrap
{
    /// <summary>Default number of resamples.</summary>
    public const int DefaultResamples = 1000;

    /// <summary>
    /// Accuracy of <paramref name="correct"/> and its percentile-bootstrap interval: <paramref name="resamples"/>
    /// times draw n items with replacement (seeded <see cref="Random"/>), take the accuracy; the bounds are the
    /// (1−level)/2 and (1+level)/2 quantiles of those accuracies (nearest rank). Empty input gives (0, 0, 0).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">resamples &lt; 1 or level outside (0, 1).</exception>
    public static AccuracyInterval Accuracy(IReadOnlyList<bool> correct, int seed, int resamples = DefaultResamples, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(correct);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "level must be in (0, 1)");
        int n = correct.Count;
        if (n == 0) return new AccuracyInterval(0, 0, 0);
        int k = correct.Count(c => c);
        var rng = new Random(seed);
        var stats = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            int hits = 0;
            for (int i = 0; i < n; i++) if (correct[rng.Next(n)]) hits++;
            stats[r] = (double)hits / n;
        }
        Array.Sort(stats);
        return new AccuracyInterval((double)k / n, Quantile(stats, (1 - level) / 2), Quantile(stats, (1 + level) / 2));
    }

    /// <summary>Nearest-rank quantile of sorted values: element ⌈q·m⌉ − 1, clamped to [0, m − 1].</summary>
    public static double Quantile(double[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(sorted));
        int i = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(i, 0, sorted.Length - 1)];
    }

    /// <summary>Mean and sample standard deviation (n − 1; 0 for a single value).</summary>
    public static (double Mean, double Sd) MeanSd(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return (0, 0);
        double mean = values.Average();
        if (values.Count == 1) return (mean, 0);
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(ss / (values.Count - 1)));
    }
}

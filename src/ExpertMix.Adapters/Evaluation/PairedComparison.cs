// Two runs over the same items: accuracy difference with a paired bootstrap interval, discordant counts, McNemar's exact p.
using System.Text.Json;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>
/// The comparison of run B against run A on the same n items (spec svf-transformer2 §12.3). The difference is
/// B − A in accuracy; its interval is a paired percentile bootstrap over items; p is McNemar's exact two-sided p.
/// </summary>
/// <param name="N">Paired items.</param>
/// <param name="A">Accuracy of A with its Wilson interval.</param>
/// <param name="B">Accuracy of B with its Wilson interval.</param>
/// <param name="Difference">acc(B) − acc(A) = (OnlyB − OnlyA)/n, with its paired-bootstrap interval.</param>
/// <param name="BothCorrect">Items both runs got right.</param>
/// <param name="OnlyA">Items only A got right (discordant, b).</param>
/// <param name="OnlyB">Items only B got right (discordant, c).</param>
/// <param name="BothWrong">Items both runs got wrong.</param>
/// <param name="McNemarP">McNemar's exact two-sided p (<see cref="McNemar.ExactP"/>).</param>
/// <param name="Resamples">Bootstrap resamples.</param>
/// <param name="Seed">Bootstrap seed.</param>
/// <param name="Level">Confidence level of the intervals (the Wilson intervals use z = 1.96, i.e. 95%).</param>
internal sealed record PairedComparison(int N, AccuracyInterval A, AccuracyInterval B, AccuracyInterval Difference,
    int BothCorrect, int OnlyA, int OnlyB, int BothWrong, double McNemarP, int Resamples, int Seed, double Level)
{
    /// <summary>Default resamples of the paired bootstrap (spec §12.3).</summary>
    public const int DefaultResamples = 10_000;

    /// <summary>
    /// Compares <paramref name="b"/> against <paramref name="a"/> (item i of both is the same item). The paired
    /// bootstrap draws n item indices with replacement (seeded <see cref="Random"/>, <paramref name="resamples"/> times)
    /// and takes mean(b) − mean(a) over the drawn items; the bounds are the (1−level)/2 and (1+level)/2 nearest-rank
    /// quantiles (<see cref="Bootstrap.Quantile"/>). No items give zero differences, p = 1 and uninformative Wilson
    /// intervals.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">resamples &lt; 1 or level outside (0, 1).</exception>
    public static PairedComparison Compare(IReadOnlyList<bool> a, IReadOnlyList<bool> b, int seed = 0, int resamples = DefaultResamples, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"paired runs need the same items: A has {a.Count}, B has {b.Count}", nameof(b));
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "level must be in (0, 1)");
        int n = a.Count;
        int both = 0, onlyA = 0, onlyB = 0, neither = 0;
        var delta = new sbyte[n];   // b_i − a_i ∈ {−1, 0, 1}
        for (int i = 0; i < n; i++)
        {
            if (a[i] && b[i]) both++;
            else if (a[i]) onlyA++;
            else if (b[i]) onlyB++;
            else neither++;
            delta[i] = (sbyte)((b[i] ? 1 : 0) - (a[i] ? 1 : 0));
        }
        var wa = Wilson.Interval(both + onlyA, n);
        var wb = Wilson.Interval(both + onlyB, n);
        double p = McNemar.ExactP(onlyA, onlyB);
        if (n == 0) return new PairedComparison(0, wa, wb, new AccuracyInterval(0, 0, 0), 0, 0, 0, 0, p, resamples, seed, level);
        double diff = (double)(onlyB - onlyA) / n;
        var stats = new double[resamples];
        if (onlyA + onlyB > 0)
        {
            var rng = new Random(seed);
            for (int r = 0; r < resamples; r++)
            {
                long sum = 0;
                for (int i = 0; i < n; i++) sum += delta[rng.Next(n)];
                stats[r] = (double)sum / n;
            }
            Array.Sort(stats);
        }
        var interval = new AccuracyInterval(diff, Bootstrap.Quantile(stats, (1 - level) / 2), Bootstrap.Quantile(stats, (1 + level) / 2));
        return new PairedComparison(n, wa, wb, interval, both, onlyA, onlyB, neither, p, resamples, seed, level);
    }

    /// <summary>
    /// Writes the comparison as one JSON object: <c>n</c>, <c>accuracy_a</c>, <c>wilson_a_low/high</c>, the same for
    /// b, <c>difference</c> (b − a), <c>ci_low</c>, <c>ci_high</c>, <c>level</c>, <c>both_correct</c>, <c>only_a</c>,
    /// <c>only_b</c>, <c>both_wrong</c>, <c>mcnemar_p</c>, <c>resamples</c>, <c>seed</c>; <paramref name="extra"/>
    /// (e.g. file names) is written first.
    /// </summary>
    public void WriteJson(Utf8JsonWriter w, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        if (extra is not null)
        {
            foreach (var (k, v) in extra) w.WriteString(k, v);
        }
        w.WriteNumber("n", N);
        w.WriteNumber("accuracy_a", A.Accuracy);
        w.WriteNumber("wilson_a_low", A.Low);
        w.WriteNumber("wilson_a_high", A.High);
        w.WriteNumber("accuracy_b", B.Accuracy);
        w.WriteNumber("wilson_b_low", B.Low);
        w.WriteNumber("wilson_b_high", B.High);
        w.WriteNumber("difference", Difference.Accuracy);
        w.WriteNumber("ci_low", Difference.Low);
        w.WriteNumber("ci_high", Difference.High);
        w.WriteNumber("level", Level);
        w.WriteNumber("both_correct", BothCorrect);
        w.WriteNumber("only_a", OnlyA);
        w.WriteNumber("only_b", OnlyB);
        w.WriteNumber("both_wrong", BothWrong);
        w.WriteNumber("mcnemar_p", McNemarP);
        w.WriteNumber("resamples", Resamples);
        w.WriteNumber("seed", Seed);
        w.WriteEndObject();
    }
}

// Pearson correlation and least-squares slope with percentile bootstrap intervals (the study's ΔPPL vs cosine fit).
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Study;

/// <summary>A correlation estimate with its bootstrap interval.</summary>
/// <param name="N">Points.</param>
/// <param name="Pearson">r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²); NaN when either variance is 0 or N &lt; 2.</param>
/// <param name="Slope">Least-squares slope b = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)²; NaN when Σ(x−x̄)² = 0.</param>
/// <param name="Intercept">ȳ − b·x̄.</param>
/// <param name="PearsonLow">2.5th percentile of r over bootstrap resamples (NaN if none were defined).</param>
/// <param name="PearsonHigh">97.5th percentile of r.</param>
/// <param name="SlopeLow">2.5th percentile of the slope.</param>
/// <param name="SlopeHigh">97.5th percentile of the slope.</param>
internal sealed record CorrelationResult(int N, double Pearson, double Slope, double Intercept, double PearsonLow, double PearsonHigh, double SlopeLow, double SlopeHigh);

/// <summary>Descriptive statistics for the summation study.</summary>
internal static class Correlation
{
    /// <summary>Pearson r and slope of <paramref name="y"/> on <paramref name="x"/>, with a seeded percentile bootstrap over points.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static CorrelationResult Fit(IReadOnlyList<double> x, IReadOnlyList<double> y, int resamples = 2000, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"x has {x.Count} points but y has {y.Count}");
        var (r, b, a) = Point(x, y, Enumerable.Range(0, x.Count).ToArray());
        var rng = new Rng(seed);
        var rs = new List<double>();
        var bs = new List<double>();
        var idx = new int[x.Count];
        for (int k = 0; k < resamples && x.Count >= 2; k++)
        {
            for (int i = 0; i < idx.Length; i++) idx[i] = rng.NextInt(x.Count);
            var (rk, bk, _) = Point(x, y, idx);
            if (double.IsFinite(rk)) rs.Add(rk);
            if (double.IsFinite(bk)) bs.Add(bk);
        }
        return new CorrelationResult(x.Count, r, b, a, Percentile(rs, 0.025), Percentile(rs, 0.975), Percentile(bs, 0.025), Percentile(bs, 0.975));
    }

    private static (double R, double Slope, double Intercept) Point(IReadOnlyList<double> x, IReadOnlyList<double> y, int[] idx)
    {
        if (idx.Length < 2) return (double.NaN, double.NaN, double.NaN);
        double mx = idx.Average(i => x[i]), my = idx.Average(i => y[i]);
        double sxy = 0, sxx = 0, syy = 0;
        foreach (int i in idx)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        double r = sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
        double b = sxx > 0 ? sxy / sxx : double.NaN;
        return (r, b, my - b * mx);
    }

    private static double Percentile(List<double> v, double q)
    {
        if (v.Count == 0) return double.NaN;
        v.Sort();
        double pos = q * (v.Count - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    }
}

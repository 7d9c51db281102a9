// Number formats shared by the console table and the HTML page, so both show the same strings.
using System.Globalization;
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Cli.Demo;

/// <summary>Invariant-culture formats of the demo's numbers.</summary>
internal static class DemoFormat
{
    /// <summary>"54.0 [44.3–63.4]": 100·accuracy and the interval bounds in percent, one decimal.</summary>
    public static string Accuracy(AccuracyInterval ci) =>
        string.Create(CultureInfo.InvariantCulture, $"{ci.Accuracy * 100:0.0} [{ci.Low * 100:0.0}–{ci.High * 100:0.0}]");

    /// <summary>"54.0% [44.3–63.4]": as <see cref="Accuracy"/> with the percent sign after the point estimate.</summary>
    public static string Percent(AccuracyInterval ci) =>
        string.Create(CultureInfo.InvariantCulture, $"{ci.Accuracy * 100:0.0}% [{ci.Low * 100:0.0}–{ci.High * 100:0.0}]");

    /// <summary>Perplexity with two decimals below 1000, else rounded to an integer.</summary>
    public static string Perplexity(double p) => p.ToString(p < 1000 ? "0.00" : "0", CultureInfo.InvariantCulture);

    /// <summary>"+4.54%" / "−9.10%" style: sign always shown, two decimals.</summary>
    public static string SignedPercent(double v) => v.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + "%";

    /// <summary>"12.3 s" below a minute, "4 min 05 s" from a minute on.</summary>
    public static string Seconds(double s)
    {
        if (s < 60) return s.ToString("0.0", CultureInfo.InvariantCulture) + " s";
        long whole = (long)Math.Round(s);
        return string.Create(CultureInfo.InvariantCulture, $"{whole / 60} min {whole % 60:00} s");
    }
}

// Contention-gated timing (the method of shared/bench/gated.py): keep a repetition only if the rest of the machine stayed idle.
using System.Diagnostics;
using System.Globalization;

namespace ExpertMix.Cli.Commands;

/// <summary>
/// Foreign CPU load = (machine busy CPU seconds from /proc/stat − this process's CPU seconds) / wall seconds. A timed
/// repetition is kept when the foreign load stayed at or below <see cref="LimitCores"/>; otherwise it is discarded and
/// repeated (at most 3 × reps tries; if none is clean the contaminated timings are used and counted). Without
/// /proc/stat (not Linux) every repetition is kept.
/// </summary>
internal sealed class ContentionGate(double limitCores = 0.10)
{
    private static readonly double Hz = 100; // USER_HZ is 100 on every Linux we run on

    /// <summary>Foreign cores tolerated during a kept repetition.</summary>
    public double LimitCores { get; } = limitCores;

    /// <summary>Repetitions thrown away so far.</summary>
    public int Discarded { get; private set; }

    /// <summary>Repetitions that had to be kept although contaminated (no clean one in 3 × reps tries).</summary>
    public int Contaminated { get; private set; }

    /// <summary>
    /// Median of the figures <paramref name="reps"/> clean runs of <paramref name="run"/> return (its own timed
    /// milliseconds, or any per-run figure such as a bandwidth ratio). <paramref name="kept"/>, when given, is told after
    /// every try whether it was kept, so a caller can keep side figures of the same runs.
    /// </summary>
    public double Median(int reps, Func<double> run, Action<bool>? kept = null)
    {
        var clean = new List<double>();
        var dirty = new List<double>();
        for (int tries = 0; clean.Count < reps && tries < 3 * reps; tries++)
        {
            WaitIdle();
            double busy0 = BusySeconds();
            var own0 = Environment.CpuUsage.TotalTime;
            var wall = Stopwatch.StartNew();
            double ms = run();
            double seconds = wall.Elapsed.TotalSeconds;
            double own = (Environment.CpuUsage.TotalTime - own0).TotalSeconds;
            double foreign = double.IsNaN(busy0) ? 0 : Math.Max(0, (BusySeconds() - busy0 - own) / Math.Max(seconds, 1e-9));
            if (foreign <= LimitCores) clean.Add(ms);
            else
            {
                dirty.Add(ms);
                Discarded++;
            }
            kept?.Invoke(foreign <= LimitCores);
        }
        if (clean.Count == 0)
        {
            Contaminated += dirty.Count;
            clean = dirty;
        }
        clean.Sort();
        int n = clean.Count;
        return n % 2 == 1 ? clean[n / 2] : 0.5 * (clean[n / 2 - 1] + clean[n / 2]);
    }

    /// <summary>Waits (up to 2 minutes) until the foreign load over half a second is below the limit.</summary>
    private void WaitIdle()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed.TotalSeconds < 120)
        {
            double b0 = BusySeconds();
            if (double.IsNaN(b0)) return;
            var own0 = Environment.CpuUsage.TotalTime;
            Thread.Sleep(500);
            double foreign = (BusySeconds() - b0 - (Environment.CpuUsage.TotalTime - own0).TotalSeconds) / 0.5;
            if (foreign < LimitCores) return;
        }
    }

    /// <summary>Busy CPU seconds of the whole machine since boot (user + nice + system + irq + softirq), or NaN.</summary>
    private static double BusySeconds()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var parts = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Field(int i) => i < parts.Length ? long.Parse(parts[i], CultureInfo.InvariantCulture) : 0;
            return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7)) / Hz;
        }
        catch (IOException)
        {
            return double.NaN;
        }
        catch (UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }
}

// Per-tensor sparsifiers of PEFT and mergekit (magnitude, Bernoulli, breadcrumbs, DELLA) with their rescales.
using System.Runtime.CompilerServices;
using System.Text;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// Sparsifiers over one tensor x of N = rows·cols entries with density ρ (docs §3.3–3.4). ρ ≥ 1 returns x unchanged;
/// ρ &lt; 0 is an error. Kept entries may be rescaled (<see cref="RescaleMode"/>).
/// </summary>
internal static class Sparsification
{
    /// <summary>
    /// The generator of the random mask for (seed, module path, adapter index): seeded with
    /// seed ⊕ FNV-1a-64(path) ⊕ (index+1)·φ₆₄, so runs are reproducible and masks independent across modules/adapters.
    /// </summary>
    public static Rng MaskRng(ulong seed, string modulePath, int adapterIndex)
    {
        ArgumentNullException.ThrowIfNull(modulePath);
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(modulePath))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return new Rng(seed ^ h ^ ((ulong)(adapterIndex + 1) * 0x9E3779B97F4A7C15UL));
    }

    /// <summary>
    /// Sparsifies a copy of <paramref name="x"/> [rows, cols]:
    /// magnitude keeps the top ⌊ρN⌋ by |x|; random keeps each entry with probability ρ; magnitude-outliers drops the
    /// n_top = ⌊γN⌋ largest and n_bot = N − ⌊ρN⌋ − n_top smallest (n_bot &lt; 0 shrinks n_top; n_top = 0 keeps the top);
    /// DELLA keeps with p = (ρ−ε) + 2ε·u, u the ascending |x| rank in its row normalised to [0, 1].
    /// Rescale: inverse-prob divides kept entries by their keep probability (ρ, or p for DELLA; magnitude sparsifiers
    /// have none and are left as is), L1 multiplies by ‖x‖₁/‖x⊙m‖₁ unless either is &lt; 1e-7.
    /// </summary>
    /// <exception cref="ArgumentException">ρ &lt; 0, a random sparsifier without <paramref name="rng"/>, or DELLA with ρ−ε ≤ 0 or ρ+ε ≥ 1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Apply(ReadOnlySpan<float> x, int rows, int cols, Sparsifier method, double density, RescaleMode rescale, Rng? rng,
        double gamma = 0.01, double epsilon = 0.15)
    {
        if (x.Length != (long)rows * cols) throw new ArgumentException($"sparsify: {x.Length} values for [{rows}, {cols}]");
        if (!(density >= 0)) throw new ArgumentException($"density must be ≥ 0 (got {density})");
        var y = x.ToArray();
        if (method == Sparsifier.None || density >= 1) return y;
        int n = y.Length;
        switch (method)
        {
            case Sparsifier.Magnitude:
            {
                int k = (int)(density * n);
                var keep = RankBand(y, n - k, n);
                ApplyMask(y, keep);
                if (rescale == RescaleMode.L1) RescaleL1(x, y);
                return y;
            }
            case Sparsifier.MagnitudeOutliers:
            {
                int target = (int)(density * n);
                int nTop = (int)(gamma * n);
                int nBot = n - target - nTop;
                if (nBot < 0)
                {
                    nTop += nBot;
                    nBot = 0;
                }
                var keep = RankBand(y, nBot, n - nTop);
                ApplyMask(y, keep);
                if (rescale == RescaleMode.L1) RescaleL1(x, y);
                return y;
            }
            case Sparsifier.Random:
            {
                if (rng is null) throw new ArgumentException("the random sparsifier needs a generator");
                double inv = rescale == RescaleMode.InverseProb ? 1 / density : 1;
                for (int i = 0; i < n; i++) y[i] = rng.NextDouble() < density ? (float)(y[i] * inv) : 0f;
                if (rescale == RescaleMode.L1) RescaleL1(x, y);
                return y;
            }
            case Sparsifier.DellaMagprune:
            {
                if (rng is null) throw new ArgumentException("the DELLA sparsifier needs a generator");
                if (density <= 0) return new float[n];
                if (density - epsilon <= 0 || density + epsilon >= 1)
                {
                    throw new ArgumentException($"DELLA needs density ± epsilon in (0, 1) (density {density}, epsilon {epsilon})");
                }
                var idx = new int[cols];
                var key = new float[cols];
                for (int r = 0; r < rows; r++)
                {
                    var row = y.AsSpan(r * cols, cols);
                    for (int j = 0; j < cols; j++)
                    {
                        idx[j] = j;
                        key[j] = Math.Abs(row[j]);
                    }
                    Array.Sort(key, idx); // ascending |x|; idx[rank] = column
                    for (int rank = 0; rank < cols; rank++)
                    {
                        double u = cols > 1 ? rank / (double)(cols - 1) : 0.5;
                        double p = density - epsilon + (2 * epsilon * u);
                        int j = idx[rank];
                        bool kept = rng.NextDouble() < p;
                        row[j] = !kept ? 0f : rescale == RescaleMode.InverseProb ? (float)(row[j] / p) : row[j];
                    }
                }
                if (rescale == RescaleMode.L1) RescaleL1(x, y);
                return y;
            }
            default:
                throw new ArgumentException($"unknown sparsifier {method}");
        }
    }

    /// <summary>
    /// Which entries have an ascending |x| rank (ties broken by index) in [<paramref name="from"/>, <paramref name="to"/>).
    /// O(N) by quickselect.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool[] RankBand(ReadOnlySpan<float> x, int from, int to)
    {
        int n = x.Length;
        var keep = new bool[n];
        from = Math.Max(from, 0);
        to = Math.Min(to, n);
        if (from >= to) return keep;
        var abs = new float[n];
        for (int i = 0; i < n; i++) abs[i] = Math.Abs(x[i]);
        var work = (float[])abs.Clone();
        float lo = Select(work, from);
        float hi = Select(work, to - 1);
        int lessLo = 0, lessHi = 0;
        for (int i = 0; i < n; i++)
        {
            if (abs[i] < lo) lessLo++;
            if (abs[i] < hi) lessHi++;
        }
        int eqLo = 0, eqHi = 0;
        for (int i = 0; i < n; i++)
        {
            float a = abs[i];
            if (a < lo || a > hi) continue;
            int rank;
            if (a == lo) rank = lessLo + eqLo++;
            else if (a == hi) rank = lessHi + eqHi++;
            else
            {
                keep[i] = true;
                continue;
            }
            keep[i] = rank >= from && rank < to;
        }
        return keep;
    }

    /// <summary>The k-th smallest value (0-based) of <paramref name="a"/>; reorders <paramref name="a"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Select(float[] a, int k)
    {
        int left = 0, right = a.Length - 1;
        var rng = new Random(12345);
        while (right > left)
        {
            float pivot = a[left + rng.Next(right - left + 1)];
            int i = left, lt = left, gt = right;
            while (i <= gt)
            {
                float v = a[i];
                if (v < pivot)
                {
                    a[i] = a[lt];
                    a[lt] = v;
                    lt++;
                    i++;
                }
                else if (v > pivot)
                {
                    a[i] = a[gt];
                    a[gt] = v;
                    gt--;
                }
                else
                {
                    i++;
                }
            }
            if (k < lt) right = lt - 1;
            else if (k > gt) left = gt + 1;
            else return pivot;
        }
        return a[k];
    }

    private static void ApplyMask(float[] y, bool[] keep)
    {
        for (int i = 0; i < y.Length; i++)
        {
            if (!keep[i]) y[i] = 0;
        }
    }

    private static void RescaleL1(ReadOnlySpan<float> before, float[] after)
    {
        double b = 0, a = 0;
        for (int i = 0; i < before.Length; i++) b += Math.Abs(before[i]);
        for (int i = 0; i < after.Length; i++) a += Math.Abs(after[i]);
        if (b < 1e-7 || a < 1e-7) return;
        float f = (float)(b / a);
        for (int i = 0; i < after.Length; i++) after[i] *= f;
    }
}

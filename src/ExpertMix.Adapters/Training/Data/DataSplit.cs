// Deterministic train/validation split by seed (Fisher–Yates with the engine's Rng).
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>How much data goes to validation: a fraction of the rows or an exact count.</summary>
public readonly record struct ValidationSize
{
    private ValidationSize(double? fraction, int? count)
    {
        Fraction = fraction;
        Count = count;
    }

    /// <summary>The fraction in [0, 1), or null when a count was given.</summary>
    public double? Fraction { get; }

    /// <summary>The count (≥ 0), or null when a fraction was given.</summary>
    public int? Count { get; }

    /// <summary>No validation data.</summary>
    public static ValidationSize None => OfCount(0);

    /// <summary>round(<paramref name="fraction"/> · n) rows (at least 1 when fraction &gt; 0 and n ≥ 2, and at most n − 1 when n ≥ 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fraction outside [0, 1).</exception>
    public static ValidationSize OfFraction(double fraction) => fraction is >= 0 and < 1
        ? new ValidationSize(fraction, null)
        : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "validation fraction must be in [0, 1)");

    /// <summary>Exactly <paramref name="count"/> rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative count.</exception>
    public static ValidationSize OfCount(int count) => count >= 0
        ? new ValidationSize(null, count)
        : throw new ArgumentOutOfRangeException(nameof(count), count, "validation count must be ≥ 0");

    /// <summary>The number of validation rows out of <paramref name="n"/>.</summary>
    /// <exception cref="ArgumentException">A count larger than n − 1 (no training rows would remain) when n ≥ 1.</exception>
    public int Resolve(int n)
    {
        if (Count is int c)
        {
            if (c > 0 && c >= n) throw new ArgumentException($"validation count {c} leaves no training rows out of {n}");
            return c;
        }
        double f = Fraction ?? 0;
        if (f == 0 || n < 2) return 0;
        return Math.Clamp((int)Math.Round(f * n, MidpointRounding.AwayFromZero), 1, n - 1);
    }
}

/// <summary>Splits items into train and validation sets deterministically.</summary>
internal static class DataSplit
{
    /// <summary>
    /// Permutes the indices 0..n−1 by Fisher–Yates with <c>new Rng(seed)</c> (for i = n−1 … 1: j = NextInt(i + 1),
    /// swap π[i], π[j]); the first k = <paramref name="size"/>.Resolve(n) permuted indices form the validation set,
    /// the rest the training set; each set keeps the original order of its items. The sets are disjoint and cover
    /// every item; the same seed and n give the same split.
    /// </summary>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Validation) Split<T>(IReadOnlyList<T> items, ValidationSize size, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        var (trainIdx, validationIdx) = Indices(items.Count, size, seed);
        return (trainIdx.Select(i => items[i]).ToArray(), validationIdx.Select(i => items[i]).ToArray());
    }

    /// <summary>
    /// The row indices of <see cref="Split{T}"/>'s two sets, ascending (e.g. to commit the split's id lists).
    /// </summary>
    public static (int[] Train, int[] Validation) Indices(int n, ValidationSize size, ulong seed)
    {
        int k = size.Resolve(n);
        var permutation = Permutation(n, new Rng(seed));
        var isValidation = new bool[n];
        for (int i = 0; i < k; i++) isValidation[permutation[i]] = true;
        var all = Enumerable.Range(0, n);
        return (all.Where(i => !isValidation[i]).ToArray(), all.Where(i => isValidation[i]).ToArray());
    }

    /// <summary>A uniformly random permutation of 0..n−1 by Fisher–Yates, advancing <paramref name="rng"/> n − 1 times.</summary>
    public static int[] Permutation(int n, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}

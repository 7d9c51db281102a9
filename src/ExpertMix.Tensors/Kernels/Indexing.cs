// Indexing kernels: top-k selection per row, row gather and scatter-add (embedding / index_select).
namespace ExpertMix.Tensors.Kernels;

/// <summary>Top-k and gather/scatter loops (scalar: these move data rather than compute).</summary>
public static class Indexing
{
    /// <summary>
    /// The k best elements of <paramref name="row"/>, best first: largest (or smallest) value, ties broken by the lower
    /// index; NaN ranks above every number when <paramref name="largest"/> (and below when not), as torch on CPU.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or larger than the row.</exception>
    public static void TopK(ReadOnlySpan<float> row, int k, bool largest, Span<float> values, Span<long> indices)
    {
        if ((uint)k > (uint)row.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, {row.Length}]");
        if (k == 0) return;
        int n = row.Length;
        // Insertion into a sorted buffer of the best k seen so far: O(n) for random data when k ≪ n.
        Span<long> bi = indices[..k];
        Span<float> bv = values[..k];
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            float v = row[i];
            if (count == k && !Better(v, i, bv[k - 1], bi[k - 1], largest)) continue;
            int pos = count < k ? count++ : k - 1;
            while (pos > 0 && Better(v, i, bv[pos - 1], bi[pos - 1], largest))
            {
                bv[pos] = bv[pos - 1];
                bi[pos] = bi[pos - 1];
                pos--;
            }
            bv[pos] = v;
            bi[pos] = i;
        }
    }

    /// <summary>Reference twin of <see cref="TopK"/>: a full stable sort of (value, index) pairs.</summary>
    public static void TopKReference(ReadOnlySpan<float> row, int k, bool largest, Span<float> values, Span<long> indices)
    {
        if ((uint)k > (uint)row.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, {row.Length}]");
        var copy = row.ToArray();
        var order = Enumerable.Range(0, row.Length).ToArray();
        Array.Sort(order, (a, b) => Better(copy[a], a, copy[b], b, largest) ? -1 : Better(copy[b], b, copy[a], a, largest) ? 1 : 0);
        for (int j = 0; j < k; j++)
        {
            values[j] = copy[order[j]];
            indices[j] = order[j];
        }
    }

    private static bool Better(float a, long ia, float b, long ib, bool largest)
    {
        bool an = float.IsNaN(a), bn = float.IsNaN(b);
        if (an || bn)
        {
            if (an && bn) return ia < ib;
            return largest ? an : bn;
        }
        if (a != b) return largest ? a > b : a < b;
        return ia < ib;
    }
}

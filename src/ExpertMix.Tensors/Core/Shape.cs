// Immutable tensor shape: dimension sizes, element count, contiguous strides and broadcasting.
namespace ExpertMix.Tensors;

/// <summary>An immutable list of dimension sizes. A rank-0 shape (scalar) has one element.</summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;

    /// <summary>Creates a shape; every size must be ≥ 0.</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {Format(dims)}", nameof(dims));
        }
        _dims = (int[])dims.Clone();
    }

    private Shape(int[] dims, bool noCopy) => _dims = dims;

    internal static Shape Wrap(int[] dims) => new(dims, noCopy: true);

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int this[int dim] => Dims[NormalizeDim(dim, Rank)];

    /// <summary>The sizes as a read-only span.</summary>
    public ReadOnlySpan<int> Dims => _dims ?? [];

    /// <summary>Product of the sizes (1 for a scalar).</summary>
    public long Numel
    {
        get
        {
            long n = 1;
            foreach (var d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>A copy of the sizes.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <summary>Row-major (C-order) strides in elements.</summary>
    public long[] ContiguousStrides()
    {
        var s = new long[Rank];
        long acc = 1;
        for (int i = Rank - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Dims[i];
        }
        return s;
    }

    /// <summary>NumPy/PyTorch broadcasting: sizes aligned from the right; each pair equal or one of them 1.</summary>
    /// <exception cref="ArgumentException">The shapes are not broadcast-compatible.</exception>
    public static Shape Broadcast(Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a.Dims[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b.Dims[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"shapes {a} and {b} cannot be broadcast together (dimension {i}: {da} vs {db})");
            }
            dims[i] = da == 1 ? db : da;
        }
        return Wrap(dims);
    }

    /// <summary>Maps a possibly negative dimension index into [0, rank).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [-rank, rank).</exception>
    public static int NormalizeDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dimension out of range for rank {rank}");
        return d;
    }

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Formats as "[2, 3, 4]".</summary>
    public override string ToString() => Format(Dims);

    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    /// <summary>Equality of sizes.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Inequality of sizes.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Wraps an array of sizes (copied).</summary>
    public static implicit operator Shape(int[] dims) => new(dims);
}

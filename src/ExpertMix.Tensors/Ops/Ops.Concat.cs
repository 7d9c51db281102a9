// Differentiable concatenation along a dimension, and splitting into views (Split / Chunk).
namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.cat: joins <paramref name="tensors"/> along <paramref name="dim"/> (negative counts from the end). All inputs
    /// have the same rank and equal sizes except along dim. The output dtype is the common dtype, or F32 when the inputs
    /// differ. Backward: each input gets the matching <see cref="Tensor.Narrow"/> view of the gradient.
    /// </summary>
    /// <exception cref="ArgumentException">No inputs, ranks differ, or sizes differ outside dim (the message lists the shapes).</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Concat needs at least one tensor", nameof(tensors));
        var first = tensors[0];
        int rank = first.Rank;
        if (rank == 0) throw new ArgumentException("Concat of rank-0 tensors; unsqueeze them first", nameof(tensors));
        int d = Shape.NormalizeDim(dim, rank);
        var dims = first.Shape.ToArray();
        int total = 0;
        var dtype = first.DType;
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t);
            bool ok = t.Rank == rank;
            for (int k = 0; ok && k < rank; k++) ok = k == d || t.Size(k) == dims[k];
            if (!ok) throw new ArgumentException($"Concat along dim {d}: shapes {string.Join(", ", tensors.Select(x => x.Shape.ToString()))} differ outside that dimension", nameof(tensors));
            total += t.Size(d);
            if (t.DType != dtype) dtype = DType.F32;
        }
        dims[d] = total;
        var backend = BackendOf("Concat", tensors);
        var y = EmptyOn(backend, Shape.Wrap(dims), dtype);
        var offsets = new int[tensors.Count];
        int off = 0;
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < tensors.Count; i++)
            {
                offsets[i] = off;
                int len = tensors[i].Size(d);
                if (len > 0)
                {
                    using var region = y.Narrow(d, off, len);
                    backend.Copy(tensors[i], region);
                }
                off += len;
            }
        }
        var inputs = tensors.ToArray();
        if (Autograd.ShouldRecord(inputs))
        {
            y.WithGradFn(new GradNode("Concat", inputs, g =>
            {
                var grads = new Tensor?[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (inputs[i].RequiresGrad) grads[i] = g.Narrow(d, offsets[i], inputs[i].Size(d));
                }
                return grads;
            }));
        }
        return y;
    }

    /// <summary>
    /// torch.split with a size: views of <paramref name="splitSize"/> elements along <paramref name="dim"/>, the last one
    /// smaller when the size does not divide. Each piece is a differentiable <see cref="Tensor.Narrow"/> view.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">splitSize ≤ 0.</exception>
    public static Tensor[] Split(Tensor x, int splitSize, int dim)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(splitSize);
        int d = Shape.NormalizeDim(dim, x.Rank);
        int n = x.Size(d);
        var sizes = new List<int>();
        for (int s = 0; s < n; s += splitSize) sizes.Add(Math.Min(splitSize, n - s));
        if (n == 0) sizes.Add(0);
        return SplitSizes(x, [.. sizes], d);
    }

    /// <summary>torch.split with explicit sizes (must sum to the size of dim): differentiable views.</summary>
    /// <exception cref="ArgumentException">The sizes do not sum to the dimension's size or one is negative.</exception>
    public static Tensor[] SplitSizes(Tensor x, int[] sizes, int dim)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sizes);
        int d = Shape.NormalizeDim(dim, x.Rank);
        if (sizes.Any(s => s < 0) || sizes.Sum() != x.Size(d)) throw new ArgumentException($"split sizes [{string.Join(", ", sizes)}] do not sum to size {x.Size(d)} of dim {d} in {x.Shape}", nameof(sizes));
        var parts = new Tensor[sizes.Length];
        int off = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = x.Narrow(d, off, sizes[i]);
            off += sizes[i];
        }
        return parts;
    }

    /// <summary>
    /// torch.chunk: ⌈n/chunks⌉-sized views along dim (the last smaller; fewer than <paramref name="chunks"/> pieces when n is
    /// small, exactly as torch).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">chunks ≤ 0.</exception>
    public static Tensor[] Chunk(Tensor x, int chunks, int dim)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunks);
        int d = Shape.NormalizeDim(dim, x.Rank);
        int n = x.Size(d);
        int size = Math.Max(1, (n + chunks - 1) / chunks);
        return Split(x, size, d);
    }
}

// Views that share storage (reshape, transpose, permute, narrow, select, expand, squeeze) and copies.
namespace ExpertMix.Tensors;

public sealed partial class Tensor
{
    private Tensor MakeView(int[] shape, long[] strides, long offset) => new(Storage, shape, strides, offset, addRef: true);

    private Tensor Record(Tensor output, string op, BackwardRule rule)
    {
        if (Autograd.ShouldRecord(this)) output.WithGradFn(new GradNode(op, [this], rule));
        return output;
    }

    /// <summary>
    /// Same elements in a new shape (one size may be -1). A view when the layout allows it, otherwise a copy.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public Tensor Reshape(params int[] shape)
    {
        var dims = ResolveShape(shape);
        Tensor result;
        if (IsContiguous)
        {
            result = MakeView(dims, Shape.Wrap(dims).ContiguousStrides(), Offset);
        }
        else
        {
            using var c = ContiguousNoGrad();
            result = c.MakeView(dims, Shape.Wrap(dims).ContiguousStrides(), c.Offset);
        }
        var inShape = _shape;
        return Record(result, "Reshape", g => [g.Reshape(inShape)]);
    }

    private int[] ResolveShape(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var dims = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException("only one dimension can be -1", nameof(shape));
                infer = i;
            }
            else if (dims[i] < 0) throw new ArgumentException($"invalid size {dims[i]} in {Shape.Format(dims)}", nameof(shape));
            else known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Numel % known != 0) throw new ArgumentException($"cannot reshape {Shape} into {Shape.Format(shape)}", nameof(shape));
            dims[infer] = (int)(Numel / known);
        }
        else if (known != Numel) throw new ArgumentException($"cannot reshape {Shape} ({Numel} elements) into {Shape.Format(dims)} ({known} elements)", nameof(shape));
        return dims;
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = Shape.NormalizeDim(dim0, Rank), b = Shape.NormalizeDim(dim1, Rank);
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++) perm[i] = i;
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Reorders dimensions: output dimension i is input dimension <paramref name="dims"/>[i] (a view).</summary>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank) throw new ArgumentException($"permutation of length {dims.Length} for rank {Rank}", nameof(dims));
        var shape = new int[Rank];
        var strides = new long[Rank];
        var inverse = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = Shape.NormalizeDim(dims[i], Rank);
            if (seen[d]) throw new ArgumentException($"dimension {d} repeated in permutation", nameof(dims));
            seen[d] = true;
            shape[i] = _shape[d];
            strides[i] = _strides[d];
            inverse[d] = i;
        }
        return Record(MakeView(shape, strides, Offset), "Permute", g => [g.Permute(inverse)]);
    }

    /// <summary>Elements [<paramref name="start"/>, start+<paramref name="length"/>) along <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shape.NormalizeDim(dim, Rank);
        if (start < 0 || length < 0 || start + length > _shape[d])
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow [{start}, {start + length}) outside dimension {d} of size {_shape[d]} in {Shape}");
        }
        var shape = (int[])_shape.Clone();
        shape[d] = length;
        var inShape = _shape;
        return Record(MakeView(shape, (long[])_strides.Clone(), Offset + start * _strides[d]), "Narrow", g =>
        {
            var full = Backend.Empty(Shape.Wrap(inShape), DType.F32, zero: true);
            using (var region = full.Narrow(d, start, length)) region.CopyFrom(g);
            return [full];
        });
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, removing that dimension (a view).</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shape.NormalizeDim(dim, Rank);
        if ((uint)index >= (uint)_shape[d])
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"select index {index} outside dimension {d} of size {_shape[d]} in {Shape}");
        }
        var shape = new List<int>(_shape);
        shape.RemoveAt(d);
        var strides = new List<long>(_strides);
        strides.RemoveAt(d);
        var inShape = _shape;
        return Record(MakeView([.. shape], [.. strides], Offset + index * _strides[d]), "Select", g =>
        {
            var full = Backend.Empty(Shape.Wrap(inShape), DType.F32, zero: true);
            using (var region = full.Narrow(d, index, 1))
            using (var gu = g.Unsqueeze(d))
            {
                region.CopyFrom(gu);
            }
            return [full];
        });
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/> (a view).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Shape.NormalizeDim(dim, Rank + 1);
        var shape = new List<int>(_shape);
        shape.Insert(d, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Removes size-1 dimension <paramref name="dim"/> (a view).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = Shape.NormalizeDim(dim, Rank);
        if (_shape[d] != 1) throw new ArgumentException($"cannot squeeze dimension {d} of size {_shape[d]} in {Shape}", nameof(dim));
        var shape = new List<int>(_shape);
        shape.RemoveAt(d);
        var strides = new List<long>(_strides);
        strides.RemoveAt(d);
        var inShape = _shape;
        return Record(MakeView([.. shape], [.. strides], Offset), "Squeeze", g => [g.Reshape(inShape)]);
    }

    /// <summary>Broadcasts size-1 (or missing leading) dimensions to <paramref name="shape"/> with stride 0 (a view).</summary>
    public Tensor Expand(Shape shape)
    {
        int rank = shape.Rank;
        if (rank < Rank) throw new ArgumentException($"cannot expand {Shape} to fewer dimensions {shape}", nameof(shape));
        var strides = new long[rank];
        var dims = shape.ToArray();
        for (int i = 0; i < rank; i++)
        {
            int j = i - (rank - Rank);
            if (j < 0) { strides[i] = 0; continue; }
            if (_shape[j] == dims[i]) strides[i] = _strides[j];
            else if (_shape[j] == 1) strides[i] = 0;
            else throw new ArgumentException($"cannot expand {Shape} to {shape} (dimension {i})", nameof(shape));
        }
        var inShape = Shape;
        return Record(MakeView(dims, strides, Offset), "Expand", g => [Ops.SumTo(g, inShape)]);
    }

    /// <summary>A contiguous tensor with the same values: a new view object when already contiguous, else a copy.</summary>
    public Tensor Contiguous()
    {
        var c = ContiguousNoGrad();
        return Record(c, "Contiguous", g => [g.Detach()]);
    }

    private Tensor ContiguousNoGrad()
    {
        if (IsContiguous) return MakeView(_shape, _strides, Offset);
        var c = Backend.Empty(Shape, DType, zero: false);
        Backend.Copy(this, c);
        return c;
    }

    /// <summary>A contiguous copy with its own storage (gradient flows through).</summary>
    public Tensor Clone()
    {
        var c = Backend.Empty(Shape, DType, zero: false);
        Backend.Copy(this, c);
        return Record(c, "Clone", g => [g.Detach()]);
    }

    /// <summary>
    /// Converts to <paramref name="dtype"/> in a new contiguous tensor. Float→bf16/f16 rounds to nearest even.
    /// Gradient flows through float conversions.
    /// </summary>
    public Tensor To(DType dtype)
    {
        var c = Backend.Empty(Shape, dtype, zero: false);
        Backend.Copy(this, c);
        if (dtype == DType.F32 && DType.IsFloat()) return Record(c, "To", g => [g.Detach()]);
        return c;
    }

    /// <summary>
    /// A contiguous copy in <paramref name="dtype"/> (default: this tensor's) whose CPU buffer is sized exactly instead
    /// of taken from the pool, whose buckets round sizes up by as much as 25%: for long-lived tensors such as model
    /// weights built at load time (transposed, converted or generated). Not recorded by autograd.
    /// </summary>
    /// <exception cref="NotSupportedException">The tensor is not on the CPU backend.</exception>
    public Tensor Compact(DType? dtype = null)
    {
        if (Backend is not CpuBackend) throw new NotSupportedException($"Compact of {Describe()} on backend '{Backend.Name}'");
        var c = EmptyExact(Shape, dtype ?? DType);
        Backend.Copy(this, c);
        return c;
    }

    /// <summary>
    /// Copies <paramref name="source"/> (same shape, any layout/dtype) into this tensor in place. The source may live on
    /// another backend: this is the one place tensors move between backends, and the destination's backend does it.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor is read-only or shapes differ.</exception>
    public Tensor CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Shape != Shape) throw new ArgumentException($"copy from {source.Shape} into {Shape}", nameof(source));
        if (Storage.IsReadOnly) throw new InvalidOperationException($"tensor {Describe()} is read-only (memory-mapped)");
        Backend.Copy(source, this); // the destination's backend: CopyFrom is also the transfer between backends
        return this;
    }

    /// <summary>this += <paramref name="other"/> elementwise (same shape, F32, no autograd).</summary>
    public void AddInPlace(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Shape != Shape) throw new ArgumentException($"AddInPlace of {other.Shape} into {Shape}", nameof(other));
        RequireDType(DType.F32);
        RequireContiguous();
        Ops.AccumulateInto(this, other);
    }
}

// Token (or position) embedding lookup over a [V, C] table kept in its storage dtype.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// out[..., c] = W[ids[...], c] for W [V, C]. An F32 table (or one that is being trained) goes through
/// <see cref="Ops.Embedding"/> (with gradient); a frozen BF16/F16 table copies only the selected rows, converting
/// them to F32, so a large 16-bit vocabulary is never widened as a whole.
/// </summary>
public sealed class Embedding : IModule, IDisposable
{
    /// <summary>Wraps <paramref name="weight"/> [V, C] (owned) under <paramref name="path"/> (e.g. <c>model.embed_tokens</c>).</summary>
    public Embedding(string path, Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"{path}: embedding weight {weight.Describe()} must be [V, C]", nameof(weight));
        ModulePath = path;
        Weight = weight;
    }

    /// <summary>The dotted module name.</summary>
    public string ModulePath { get; }

    /// <summary>W [V, C].</summary>
    public Tensor Weight { get; }

    /// <summary>V.</summary>
    public int Count => Weight.Size(0);

    /// <summary>C.</summary>
    public int Dim => Weight.Size(1);

    /// <summary>Looks up <paramref name="ids"/> (I32/I64, any shape) → [..., C] F32 (caller owns it).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V); the message names the module, id and position.</exception>
    public Tensor Forward(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (Weight.DType == DType.F32 || Weight.RequiresGrad && Autograd.IsEnabled)
        {
            return Ops.Embedding(Weight, ids);
        }
        var idx = ids.ToInt64Array();
        int c = Dim;
        var outShape = ids.Shape.ToArray().Append(c).ToArray();
        var y = Tensor.Empty(new Shape(outShape));
        using var rows = y.Reshape(idx.Length, c);
        for (int i = 0; i < idx.Length; i++)
        {
            long id = idx[i];
            if ((ulong)id >= (ulong)Count)
            {
                y.Dispose();
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"{ModulePath}: token id {id} at position {i} is outside [0, {Count})");
            }
            using var dst = rows.Narrow(0, i, 1);
            using var src = Weight.Narrow(0, (int)id, 1);
            dst.CopyFrom(src);
        }
        return y;
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters()
    {
        yield return (ModulePath + ".weight", Weight);
    }

    /// <summary>Releases the table.</summary>
    public void Dispose() => Weight.Dispose();
}

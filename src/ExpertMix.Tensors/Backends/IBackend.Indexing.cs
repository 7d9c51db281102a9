// Backend seam, indexing family: top-k, index-select (embedding) and its scatter-add, flat gather/scatter.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Per row of x [rows, n] (contiguous F32): the k largest or smallest values (sorted, ties by lower index first;
    /// NaN counts as largest, as in torch) into values [rows, k] F32 and their indices into indices [rows, k] I64.
    /// </summary>
    void TopK(Tensor x, int k, TopKOrder order, Tensor values, Tensor indices);

    /// <summary>
    /// y = x selected along <paramref name="dim"/> at index (I64 [m], each in [0, x.Size(dim))): y has x's shape with
    /// dim of size m. x, y contiguous F32. Embedding is IndexSelect along dim 0.
    /// </summary>
    void IndexSelect(Tensor x, int dim, Tensor index, Tensor y);

    /// <summary>
    /// dst[…, index[j], …] += src[…, j, …] along <paramref name="dim"/> (the IndexSelect/Embedding backward), j in
    /// increasing order for every destination element (deterministic for any thread count). src, dst contiguous F32.
    /// </summary>
    void IndexAdd(Tensor src, int dim, Tensor index, Tensor dst);

    /// <summary>y[i] = x[offsets[i]] over flat element offsets (I64, same count as y). x, y contiguous F32.</summary>
    void Gather(Tensor x, Tensor offsets, Tensor y);

    /// <summary>dst[offsets[i]] = src[i] or += src[i] for i = 0, 1, … in order. src, dst contiguous F32; offsets I64.</summary>
    void Scatter(ScatterMode mode, Tensor src, Tensor offsets, Tensor dst);
}

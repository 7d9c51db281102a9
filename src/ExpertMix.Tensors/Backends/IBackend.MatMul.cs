// Backend seam, matrix-product family: linear (x·Wᵀ, f32/bf16/packed weights) and batched matmul.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// y[M, N] = x[M, K]·weight[N, K]ᵀ + beta·y (beta 0 ignores y's old contents, NaN included). x, y: contiguous F32;
    /// weight: F32 or BF16 with unit column stride and row stride ≥ K (bf16 is widened exactly, f32 accumulation).
    /// </summary>
    void Linear(Tensor x, Tensor weight, float beta, Tensor y);

    /// <summary>
    /// y[M, N] = x[M, K]·Wᵀ + beta·y with a pre-packed weight; bit-identical to <see cref="Linear(Tensor, Tensor, float, Tensor)"/>
    /// on the packed weight's source. x, y: contiguous F32.
    /// </summary>
    void Linear(Tensor x, PackedWeight weight, float beta, Tensor y);

    /// <summary>
    /// y[batch…, M, N] = a[batch…, M, K]·b[batch…, K, N] with broadcast batch dimensions. y: contiguous F32 of the
    /// broadcast batch shape. a and b: F32 or any float dtype; each matrix may be row- or column-major with a leading
    /// dimension (transposed views need no copy), batch dimensions may be strided or broadcast (stride 0).
    /// </summary>
    void MatMul(Tensor a, Tensor b, Tensor y);
}

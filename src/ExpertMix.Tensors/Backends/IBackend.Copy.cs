// Backend seam, copy family: strided copies with dtype conversion (the only kernels that accept any layout).
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// dst[i] = convert(src[i]) for every index. src and dst: same shape, any layout and dtype (float ↔ bf16/f16
    /// rounds to nearest even; NaN stays NaN). Both must belong to this backend.
    /// </summary>
    void Copy(Tensor src, Tensor dst);
}

// CPU copy family: the strided converting copy kernel.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Copy(Tensor src, Tensor dst) => StridedCopy.Copy(src, dst);
}

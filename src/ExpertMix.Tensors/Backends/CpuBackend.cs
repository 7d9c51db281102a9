// The CPU backend: pooled pinned buffers and the SIMD kernels in ExpertMix.Tensors.Kernels.
namespace ExpertMix.Tensors;

/// <summary>The CPU implementation of <see cref="IBackend"/>.</summary>
public sealed partial class CpuBackend : IBackend
{
    /// <summary>The single instance.</summary>
    public static CpuBackend Instance { get; } = new();

    private CpuBackend()
    {
    }

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <inheritdoc/>
    public Tensor Empty(Shape shape, DType dtype, bool zero)
    {
        var dims = shape.ToArray();
        var storage = new CpuStorage(dtype, shape.Numel, zero);
        return new Tensor(storage, dims, Shape.Wrap(dims).ContiguousStrides(), 0, addRef: false);
    }
}

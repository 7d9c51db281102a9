// The CPU backend: pooled pinned buffers and the SIMD kernels in ExpertMix.Tensors.Kernels.
namespace ExpertMix.Tensors;

/// <summary>The CPU implementation of <see cref="IBackend"/>.</summary>
public sealed partial class CpuBackend : IBackend
{
    [ThreadStatic]
    private static long t_allocations;

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
        t_allocations++;
        return EmptyOwnedBy(this, shape, dtype, zero);
    }

    /// <summary>
    /// How many tensors this thread has requested through <see cref="Empty"/> (and so through <c>Tensor.Empty</c>,
    /// <c>Zeros</c>, <c>FromArray</c>, …); kernel scratch is not counted. Tests use it to prove that ops on another
    /// backend's tensors never fall back to CPU allocation.
    /// </summary>
    internal static long AllocationsOnThisThread => t_allocations;

    /// <summary>
    /// A new contiguous tensor in pooled host memory whose storage reports <paramref name="owner"/> as its backend
    /// (for backends that decorate the CPU backend and share its memory and kernels).
    /// </summary>
    internal static Tensor EmptyOwnedBy(IBackend owner, Shape shape, DType dtype, bool zero, bool exact = false)
    {
        var dims = shape.ToArray();
        var storage = new CpuStorage(dtype, shape.Numel, zero, owner, exact);
        return new Tensor(storage, dims, Shape.Wrap(dims).ContiguousStrides(), 0, addRef: false);
    }
}

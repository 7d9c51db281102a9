// The backend seam: storage allocation plus kernels. Only the CPU backend exists; a GPU one would implement this.
namespace ExpertMix.Tensors;

/// <summary>
/// A compute backend: allocates storage and runs kernels on tensors it owns. Ops (<see cref="Ops"/>) validate
/// shapes, allocate outputs through the backend, call its kernels and record autograd; they never touch memory
/// themselves. The interface is partial: each kernel family declares its members in its own file.
/// </summary>
public partial interface IBackend
{
    /// <summary>Backend name ("cpu").</summary>
    string Name { get; }

    /// <summary>A new contiguous tensor; zero-filled when <paramref name="zero"/>.</summary>
    Tensor Empty(Shape shape, DType dtype, bool zero);
}

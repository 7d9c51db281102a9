// The slow reference of Ops.SumTo (the fast path is IBackend.SumTo).

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>The slow reference of <see cref="SumTo"/> (element order, strided accumulation) for tests: dst must be zeros.</summary>
    internal static void SumToReference(Tensor src, Tensor dst) => ReduceToReference(src, dst);
}

// Whether a GEMM operand is used as stored or transposed (BLAS's transa/transb).
namespace ExpertMix.Tensors.Kernels;

/// <summary>How a row-major GEMM operand enters the product: op(X) = X or Xᵀ.</summary>
public enum Transpose
{
    /// <summary>op(X) = X.</summary>
    No,
    /// <summary>op(X) = Xᵀ.</summary>
    Yes,
}

// Small shared helpers of the transformer ops (dense f32 views of inputs, row counts).
namespace ExpertMix.Tensors;

/// <summary>Helpers shared by the Softmax/Norm/Rope/Attention/CrossEntropy ops.</summary>
internal static class NnOpsSupport
{
    /// <summary>A dense F32 tensor with the values of <paramref name="t"/>: a detached view when already dense F32, else a copy (never recorded).</summary>
    public static Tensor DenseF32(Tensor t)
    {
        return t.DType == DType.F32 && t.IsContiguous ? t.Detach() : Ops.CopyAs(t, DType.F32);
    }

    /// <summary>Number of rows when the last dimension (of size <paramref name="cols"/>) is the row.</summary>
    public static int Rows(Tensor t, int cols) => cols == 0 ? 0 : checked((int)(t.Numel / cols));

    /// <summary>Throws unless <paramref name="t"/> is a floating-point tensor.</summary>
    public static void RequireFloat(Tensor t, string op, string name)
    {
        if (!t.DType.IsFloat()) throw new ArgumentException($"{op}: {name} {t.Describe()} must be a float tensor", name);
    }
}

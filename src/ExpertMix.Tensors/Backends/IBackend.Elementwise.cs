// Backend seam, element-wise family: unary maps, binary maps with broadcasting, scalar operands, a + s·b.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>y = f(x) element-wise. x and y: contiguous F32 of the same element count (y may alias x).</summary>
    void Unary(UnaryOp op, Tensor x, Tensor y);

    /// <summary>
    /// y = f(a, b) element-wise with broadcasting. y: contiguous F32 of the broadcast shape; a and b: any layout and
    /// float dtype whose shapes broadcast to y's (the one exception to "inputs are contiguous").
    /// </summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y);

    /// <summary>y = f(x, s) element-wise (scalar right operand). x and y: contiguous F32, same count.</summary>
    void BinaryScalar(BinaryOp op, Tensor x, float s, Tensor y);

    /// <summary>y = f(s, x) element-wise (scalar left operand). x and y: contiguous F32, same count.</summary>
    void ScalarBinary(BinaryOp op, float s, Tensor x, Tensor y);

    /// <summary>y = a + s·b element-wise (fused multiply-add where available). All contiguous F32, same count.</summary>
    void AddScaled(Tensor a, float s, Tensor b, Tensor y);
}

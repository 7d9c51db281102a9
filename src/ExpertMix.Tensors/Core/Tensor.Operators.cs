// C# operators on Tensor (a + b, a − b, a · b, a / b, −a, scalar forms): thin aliases of the differentiable Ops.
namespace ExpertMix.Tensors;

public sealed partial class Tensor
{
    /// <summary><see cref="Ops.Add(Tensor, Tensor)"/> (broadcasting).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);

    /// <summary><see cref="Ops.Sub(Tensor, Tensor)"/> (broadcasting).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);

    /// <summary><see cref="Ops.Mul(Tensor, Tensor)"/> (element-wise, broadcasting; not a matrix product).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);

    /// <summary><see cref="Ops.Div(Tensor, Tensor)"/> (broadcasting).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);

    /// <summary><see cref="Ops.Neg"/>.</summary>
    public static Tensor operator -(Tensor a) => Ops.Neg(a);

    /// <summary><see cref="Ops.Add(Tensor, float)"/>.</summary>
    public static Tensor operator +(Tensor a, float s) => Ops.Add(a, s);

    /// <summary><see cref="Ops.Add(Tensor, float)"/>.</summary>
    public static Tensor operator +(float s, Tensor a) => Ops.Add(a, s);

    /// <summary><see cref="Ops.Sub(Tensor, float)"/>.</summary>
    public static Tensor operator -(Tensor a, float s) => Ops.Sub(a, s);

    /// <summary><see cref="Ops.Sub(float, Tensor)"/>.</summary>
    public static Tensor operator -(float s, Tensor a) => Ops.Sub(s, a);

    /// <summary><see cref="Ops.Mul(Tensor, float)"/>.</summary>
    public static Tensor operator *(Tensor a, float s) => Ops.Mul(a, s);

    /// <summary><see cref="Ops.Mul(Tensor, float)"/>.</summary>
    public static Tensor operator *(float s, Tensor a) => Ops.Mul(a, s);

    /// <summary><see cref="Ops.Div(Tensor, float)"/>.</summary>
    public static Tensor operator /(Tensor a, float s) => Ops.Div(a, s);
}

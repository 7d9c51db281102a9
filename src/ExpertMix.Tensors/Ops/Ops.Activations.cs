// Differentiable activations: GELU (exact and tanh), SiLU, SwiGLU (two inputs or fused halves), sigmoid, tanh, ReLU.

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Exact GELU: x·Φ(x) = ½x(1 + erf(x/√2)) (torch gelu, approximate='none'); erf as in
    /// <see cref="Kernels.Simd.ActivationMath"/> (≤ 2e-7 relative for x ≥ 0, ≤ 1e-6 on [−1.3, 0), ≤ 1e-5 below). Backward g·(Φ + xφ).
    /// </summary>
    public static Tensor Gelu(Tensor x) => Activation(UnaryOp.Gelu, BinaryOp.GeluGrad, x, "Gelu", fromOutput: false);

    /// <summary>
    /// GELU tanh approximation (HF gelu_new / gelu_pytorch_tanh): ½x(1 + tanh(√(2/π)(x + 0.044715x³))),
    /// evaluated as the identical x·σ(2u). Backward: see <see cref="Kernels.Simd.GeluTanhGradOp"/>.
    /// </summary>
    public static Tensor GeluTanh(Tensor x) => Activation(UnaryOp.GeluTanh, BinaryOp.GeluTanhGrad, x, "GeluTanh", fromOutput: false);

    /// <summary>SiLU: x·σ(x). Backward g·σ(1 + x(1 − σ)).</summary>
    public static Tensor Silu(Tensor x) => Activation(UnaryOp.Silu, BinaryOp.SiluGrad, x, "Silu", fromOutput: false);

    /// <summary>σ(x) = 1/(1 + e⁻ˣ). Backward g·y(1 − y).</summary>
    public static Tensor Sigmoid(Tensor x) => Activation(UnaryOp.Sigmoid, BinaryOp.SigmoidGrad, x, "Sigmoid", fromOutput: true);

    /// <summary>tanh(x) (≤ 5e-7 relative). Backward g(1 − y²).</summary>
    public static Tensor Tanh(Tensor x) => Activation(UnaryOp.Tanh, BinaryOp.TanhGrad, x, "Tanh", fromOutput: true);

    /// <summary>ReLU: max(x, 0), NaN propagates. Backward g where x &gt; 0.</summary>
    public static Tensor Relu(Tensor x) => Activation(UnaryOp.Relu, BinaryOp.ReluGrad, x, "Relu", fromOutput: false);

    /// <summary>
    /// SwiGLU: silu(gate)·up (Llama MLP), same shapes. Backward ∂gate = g·up·silu′(gate), ∂up = g·silu(gate).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        if (gate.Shape != up.Shape) throw new ArgumentException($"SwiGlu gate {gate.Shape} and up {up.Shape} must have the same shape");
        var y = MapBinaryFlat(BinaryOp.SwiGlu, gate, up);
        if (Autograd.ShouldRecord(gate, up))
        {
            y.WithGradFn(new GradNode("SwiGlu", [gate, up], g =>
            {
                Tensor? dg = null, du = null;
                if (gate.RequiresGrad)
                {
                    using var gu = Mul(g, up);
                    dg = MapBinaryFlat(BinaryOp.SiluGrad, gate, gu);
                }
                if (up.RequiresGrad)
                {
                    using var s = Silu(gate);
                    du = Mul(g, s);
                }
                return [dg, du];
            }));
        }
        return y;
    }

    /// <summary>
    /// Fused SwiGLU on a [..., 2H] input split into halves [gate | up] along the last dimension: silu(x[..., :H])·x[..., H:]
    /// → [..., H]. Backward returns [∂gate | ∂up] concatenated.
    /// </summary>
    /// <exception cref="ArgumentException">The last dimension is odd or the input is rank 0.</exception>
    public static Tensor SwiGluFused(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Size(-1) % 2 != 0) throw new ArgumentException($"SwiGluFused needs an even last dimension, got {x.Shape}", nameof(x));
        int h = x.Size(-1) / 2;
        Tensor y;
        using (Autograd.NoGrad())
        {
            using var gate = x.Narrow(-1, 0, h);
            using var up = x.Narrow(-1, h, h);
            y = SwiGlu(gate, up);
        }
        if (Autograd.ShouldRecord(x))
        {
            y.WithGradFn(new GradNode("SwiGluFused", [x], g =>
            {
                using var gate = x.Narrow(-1, 0, h);
                using var up = x.Narrow(-1, h, h);
                using var gu = Mul(g, up);
                using var dg = MapBinaryFlat(BinaryOp.SiluGrad, gate, gu);
                using var s = Silu(gate);
                using var du = Mul(g, s);
                return [Concat([dg, du], -1)];
            }));
        }
        return y;
    }

    private static Tensor Activation(UnaryOp op, BinaryOp grad, Tensor x, string name, bool fromOutput)
    {
        var y = MapUnary(op, x);
        if (Autograd.ShouldRecord(x))
        {
            var saved = fromOutput ? y : x;
            y.WithGradFn(new GradNode(name, [x], g => [MapBinaryFlat(grad, saved, g)]));
        }
        return y;
    }
}

// Activations: forward vs double references (GELU exact/tanh, SiLU, SwiGLU, sigmoid, tanh, ReLU) and gradients.
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class ActivationTests
{
    private static double Relu(double v) => v > 0 ? v : 0;

    public static TheoryData<string> Names() => ["Gelu", "GeluTanh", "Silu", "Sigmoid", "Tanh", "Relu"];

    private static (Func<Tensor, Tensor> Op, Func<double, double> Ref) Get(string name) => name switch
    {
        "Gelu" => (Ops.Gelu, DoubleMath.Gelu),
        "GeluTanh" => (Ops.GeluTanh, DoubleMath.GeluTanh),
        "Silu" => (Ops.Silu, DoubleMath.Silu),
        "Sigmoid" => (Ops.Sigmoid, DoubleMath.Sigmoid),
        "Tanh" => (Ops.Tanh, Math.Tanh),
        _ => (Ops.Relu, Relu),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Activation_forward_matches_double_reference(string name)
    {
        var (op, r) = Get(name);
        using var x = DoubleMath.Rand(new[] { 7, 93 }, 40, -8f, 8f);
        using var y = op(x);
        TensorAssert.Close(DoubleMath.Map(x.ToDoubleArray(), r), y.ToDoubleArray(), 1e-7, 1e-6, name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Activation_gradient_matches_finite_differences(string name)
    {
        var (op, r) = Get(name);
        using var x = DoubleMath.Rand(new[] { 4, 9 }, 41, -4f, 4f);
        GradCheck.Check(name, t => op(t[0]), v => DoubleMath.Map(v[0], r), [x]);
        // Through a non-contiguous input too.
        using var xt = DoubleMath.Rand(new[] { 9, 4 }, 42, -4f, 4f);
        GradCheck.Check(name + " transposed", t => op(t[0].Transpose(0, 1)), v =>
        {
            var res = new double[36];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 9; j++) res[i * 9 + j] = r(v[0][j * 4 + i]);
            return res;
        }, [xt]);
    }

    [Fact]
    public void Gelu_tanh_equals_the_hf_gelu_new_formula_and_is_not_exact_gelu()
    {
        using var x = DoubleMath.Rand(new[] { 1000 }, 43, -5f, 5f);
        using var approx = Ops.GeluTanh(x);
        using var exact = Ops.Gelu(x);
        var xv = x.ToDoubleArray();
        TensorAssert.Close(DoubleMath.Map(xv, DoubleMath.GeluTanh), approx.ToDoubleArray(), 1e-7, 1e-6, "gelu_new");
        double maxDiff = approx.ToArray().Zip(exact.ToArray(), (p, q) => Math.Abs(p - q)).Max();
        Assert.InRange(maxDiff, 1e-4, 1e-2); // the approximation differs from erf-GELU by up to ~5e-4
    }

    [Fact]
    public void SwiGlu_two_input_and_fused_forms_agree_and_have_correct_gradients()
    {
        using var gate = DoubleMath.Rand(new[] { 3, 6 }, 44, -3f, 3f);
        using var up = DoubleMath.Rand(new[] { 3, 6 }, 45, -3f, 3f);
        using var y = Ops.SwiGlu(gate, up);
        var gv = gate.ToDoubleArray();
        var uv = up.ToDoubleArray();
        var e = new double[gv.Length];
        for (int i = 0; i < e.Length; i++) e[i] = DoubleMath.Silu(gv[i]) * uv[i];
        TensorAssert.Close(e, y.ToDoubleArray(), 1e-7, 1e-6, "SwiGlu");
        using var fusedIn = Ops.Concat([gate, up], -1);
        using var yf = Ops.SwiGluFused(fusedIn);
        TensorAssert.BitEqual(y.ToArray(), yf.ToArray(), "fused vs two-input");

        GradCheck.Check("SwiGlu", t => Ops.SwiGlu(t[0], t[1]), v =>
        {
            var res = new double[v[0].Length];
            for (int i = 0; i < res.Length; i++) res[i] = DoubleMath.Silu(v[0][i]) * v[1][i];
            return res;
        }, [gate, up]);
        GradCheck.Check("SwiGluFused", t => Ops.SwiGluFused(t[0]), v =>
        {
            var res = new double[18];
            for (int r = 0; r < 3; r++) for (int c = 0; c < 6; c++) res[r * 6 + c] = DoubleMath.Silu(v[0][r * 12 + c]) * v[0][r * 12 + 6 + c];
            return res;
        }, [fusedIn]);
    }

    [Fact]
    public void SwiGlu_rejects_mismatched_shapes()
    {
        using var a = Tensor.Zeros(new[] { 2, 3 });
        using var b = Tensor.Zeros(new[] { 2, 4 });
        Assert.Throws<ArgumentException>(() => Ops.SwiGlu(a, b));
        Assert.Throws<ArgumentException>(() => Ops.SwiGluFused(Tensor.Zeros(new[] { 2, 3 })));
    }
}

// Unit-sized comparisons with PyTorch 1.13 (values pasted inline with the generating snippet, numerics guide §5).
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class ActivationTorchTests
{
    // OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 -c "
    // import torch; F = torch.nn.functional
    // x = torch.tensor([-10., -6., -3., -1.3, -0.5, -1e-3, 0., 0.3, 1., 2.5, 8.])
    // for f in (F.gelu, lambda t: F.gelu(t, approximate='tanh'), F.silu, torch.sigmoid, torch.tanh): print(f(x).tolist())
    // m = torch.tensor([[0.5, -1.25, 3.0], [2.0, 2.0, -0.75]])
    // print(torch.var(m, 1), torch.var(m, 0, unbiased=False), m.mean(1))"
    private static readonly float[] s_x = [-10f, -6f, -3f, -1.3f, -0.5f, -1e-3f, 0f, 0.3f, 1f, 2.5f, 8f];

    public static TheoryData<string, float[]> Torch() => new()
    {
        { "gelu", [0.0f, 0.0f, -0.004049867391586304f, -0.1258406937122345f, -0.1542687863111496f, -0.0004996011266484857f, 0.0f, 0.1853734254837036f, 0.8413447141647339f, 2.48447585105896f, 8.0f] },
        { "gelu_tanh", [-0.0f, -0.0f, -0.0036374330520629883f, -0.1260710209608078f, -0.1542859971523285f, -0.0004996010684408247f, 0.0f, 0.18537093698978424f, 0.8411920070648193f, 2.4849157333374023f, 8.0f] },
        { "silu", [-0.0004539787187241018f, -0.014835738576948643f, -0.14227761328220367f, -0.2784145474433899f, -0.1887703388929367f, -0.0004997500218451023f, 0.0f, 0.172332763671875f, 0.7310585975646973f, 2.310354471206665f, 7.997317314147949f] },
        { "sigmoid", [4.539787187241018e-05f, 0.0024726230185478926f, 0.04742587357759476f, 0.21416503190994263f, 0.3775406777858734f, 0.499750018119812f, 0.5f, 0.5744425058364868f, 0.7310585975646973f, 0.9241418242454529f, 0.9996646642684937f] },
        { "tanh", [-1.0f, -0.9999877214431763f, -0.9950547814369202f, -0.8617231249809265f, -0.46211716532707214f, -0.0009999996982514858f, 0.0f, 0.29131263494491577f, 0.7615941762924194f, 0.9866142868995667f, 0.9999997615814209f] },
    };

    [Theory]
    [MemberData(nameof(Torch))]
    public void Activation_matches_pytorch_values(string name, float[] expected)
    {
        using var x = Tensor.FromArray(s_x);
        using var y = name switch
        {
            "gelu" => Ops.Gelu(x),
            "gelu_tanh" => Ops.GeluTanh(x),
            "silu" => Ops.Silu(x),
            "sigmoid" => Ops.Sigmoid(x),
            _ => Ops.Tanh(x),
        };
        // torch's f32 GELU computes 1 + erf(x/√2) and loses the far tail (gelu(−6) = 0 there, −6.0e-9 exactly);
        // ours keeps it, so the comparison is max abs 2e-7 plus 1e-6 relative (the GoldenOp tolerance is 1e-5).
        TensorAssert.Close(expected, y.ToArray(), 2e-7, 1e-6, $"{name} vs torch 1.13");
    }

    [Fact]
    public void Var_and_mean_match_pytorch_values()
    {
        using var m = Tensor.FromArray([0.5f, -1.25f, 3.0f, 2.0f, 2.0f, -0.75f], new[] { 2, 3 });
        using var v1 = Ops.Var(m, 1);
        using var v0 = Ops.Var(m, 0, unbiased: false);
        using var mean = Ops.Mean(m, 1);
        TensorAssert.Close([4.5625f, 2.5208332538604736f], v1.ToArray(), 0, 1e-6, "var unbiased");
        TensorAssert.Close([0.5625f, 2.640625f, 3.515625f], v0.ToArray(), 0, 1e-6, "var biased");
        TensorAssert.Close([0.75f, 1.0833333730697632f], mean.ToArray(), 0, 1e-7, "mean");
    }
}

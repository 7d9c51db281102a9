// Every case of the committed PyTorch op golden (tools/golden/ops.py): engine forward, indices and gradients vs torch.
using System.Text.Json;
using ExpertMix.Testing;
using Xunit.Sdk;

namespace ExpertMix.Tensors.Tests;

public partial class OpGoldenTests
{
    private static readonly Lazy<GoldenFile> s_file = new(() => GoldenFile.LoadTensorsGolden("ops.safetensors"));

    private static GoldenFile File => s_file.Value;

    /// <summary>Every case name listed in the file's <c>cases</c> metadata (a new case without a mapping fails).</summary>
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in File.Meta("cases").Split(',', StringSplitOptions.RemoveEmptyEntries)) data.Add(c);
        return data;
    }

    [Fact]
    public void Op_golden_carries_its_provenance_metadata()
    {
        Assert.Equal(GoldenFile.FormatVersion, File.Meta("format_version"));
        Assert.Equal("tools/golden/ops.py", File.Meta("script"));
        Assert.Equal("OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/ops.py", File.Meta("command"));
        Assert.StartsWith("1.13", File.Meta("torch_version"), StringComparison.Ordinal);
        Assert.Equal(20240601L, long.Parse(File.Meta("seed"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(Cases().Count >= 50, $"only {Cases().Count} cases");
    }

    [Fact]
    public void Golden_is_readable_by_the_engine_safetensors_reader()
    {
        // The engine's own memory-mapped reader must see the same tensors and metadata as the test reader.
        using var st = ExpertMix.Tensors.IO.SafetensorsFile.Open(File.Path);
        Assert.Equal(File.Meta("cases"), st.Metadata["cases"]);
        Assert.Equal(File.Tensors.Count, st.Names.Count);
        using var x = st.GetTensor("layer_norm.in0");
        TensorAssert.BitEqual(File["layer_norm.in0"].Data, x.ToArray(), "layer_norm.in0");
    }

    [Fact]
    public void An_unknown_op_fails_with_no_engine_mapping()
    {
        var ex = Assert.Throws<XunitException>(() => MappingFor("made_up_case", "made_up_op"));
        Assert.Contains("no engine mapping for case made_up_case", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_case_parameter_the_mapping_ignores_fails()
    {
        using var info = JsonDocument.Parse("{\"op\":\"softmax\",\"dim\":-1,\"dtype\":\"f16\"}");
        var ex = Assert.Throws<XunitException>(() => RequireKnownParameters("softmax_f16", MappingFor("softmax_f16", "softmax"), info.RootElement));
        Assert.Contains("parameter 'dtype'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Op_matches_pytorch_golden(string name)
    {
        using var info = JsonDocument.Parse(File.Meta("case." + name));
        var p = info.RootElement;
        string op = p.GetProperty("op").GetString()!;
        if (op == "bf16_roundtrip")
        {
            CheckBf16RoundTrip(name);
            return;
        }
        var mapping = MappingFor(name, op);
        RequireKnownParameters(name, mapping, p);
        var diff = p.GetProperty("differentiable").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        var inputs = new Tensor[diff.Length];
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = Load(File[$"{name}.in{i}"]);
                if (diff[i]) inputs[i].RequiresGrad = true;
            }
            var result = mapping.Run(inputs, p);
            int k = ReductionLength(inputs, result.Outputs[0]);
            try
            {
                bool multi = !File.Tensors.ContainsKey($"{name}.out");
                Assert.Equal(multi ? File.Tensors.Keys.Count(k => k.StartsWith(name + ".out", StringComparison.Ordinal)) : 1, result.Outputs.Length);
                for (int j = 0; j < result.Outputs.Length; j++)
                {
                    string suffix = multi ? j.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
                    Compare($"{name}.out{suffix}", File[$"{name}.out{suffix}"], result.Outputs[j], mapping.Metric, k);
                }
                if (File.Tensors.TryGetValue($"{name}.idx", out var idx))
                {
                    Assert.NotNull(result.Indices);
                    Assert.Equal(idx.Shape, result.Indices.Shape.ToArray());
                    Assert.Equal(idx.ToInt64(), result.Indices.ToInt64Array());
                }
                if (diff.Any(d => d)) Backward(name, result.Outputs, multi);
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (!diff[i]) continue;
                    var g = inputs[i].Grad;
                    Assert.True(g is not null, $"{name}: input {i} got no gradient");
                    Compare($"{name}.grad{i}", File[$"{name}.grad{i}"], g, mapping.GradMetric ?? mapping.Metric, k);
                }
            }
            finally
            {
                foreach (var o in result.Outputs) o.Dispose();
                result.Indices?.Dispose();
                foreach (var t in result.Intermediates ?? []) t.Dispose();
            }
        }
        finally
        {
            foreach (var t in inputs)
            {
                t?.Grad?.Dispose();
                t?.Dispose();
            }
        }
    }

    private static void Backward(string name, Tensor[] outputs, bool multi)
    {
        if (!multi)
        {
            using var w = File[$"{name}.w"].ToTensor();
            outputs[0].Backward(w);
            return;
        }
        // Multi-output: the golden gradient is of Σⱼ sum(outⱼ · wⱼ); backward each piece and let the leaves accumulate.
        for (int j = 0; j < outputs.Length; j++)
        {
            using var w = File[$"{name}.w{j}"].ToTensor();
            outputs[j].Backward(w, retainGraph: j + 1 < outputs.Length);
        }
    }

    /// <summary>
    /// Longest dot product of a matmul-like case: K = in0's last dim (forward), the output's last dim (∂A) or the
    /// number of output rows (∂B, summed over batch and rows).
    /// </summary>
    private static int ReductionLength(Tensor[] inputs, Tensor output)
    {
        int last = output.Rank == 0 ? 1 : output.Size(-1);
        long rows = last == 0 ? 0 : output.Numel / last;
        return (int)Math.Max(Math.Max(inputs[0].Rank == 0 ? 1 : inputs[0].Size(-1), last), rows);
    }

    private static Tensor Load(GoldenTensor t) => t.DType switch
    {
        "F32" => t.ToTensor(),
        "I64" => Tensor.FromBytes(t.Raw, new Shape(t.Shape), DType.I64),
        _ => throw new XunitException($"{t.Name}: unexpected input dtype {t.DType}"),
    };

    /// <summary>
    /// Element-wise metric: max |e − a| ≤ 1e-5 · max(1, max|e|) ("1e-5 relative-scaled"); matmul-like metric:
    /// NMSE ≤ 1e-7 and max |e − a| ≤ 1e-5 · √K · max(1, max|e|), K the longest dot product of forward or backward.
    /// </summary>
    private static void Compare(string what, GoldenTensor expected, Tensor actual, Metric metric, int k = 1)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape.ToArray()), $"{what}: shape {actual.Shape}, expected [{string.Join(", ", expected.Shape)}]");
        var e = expected.Data;
        var a = actual.ToArray();
        double scale = Math.Max(1.0, e.Length == 0 ? 0 : e.Max(v => Math.Abs((double)v)));
        if (metric.MatMulLike)
        {
            TensorAssert.Nmse(Array.ConvertAll(e, v => (double)v), Array.ConvertAll(a, v => (double)v), 1e-7,
                maxAbs: metric.Tolerance * Math.Sqrt(k) * scale, what: what);
        }
        else
        {
            TensorAssert.Close(e, a, atol: metric.Tolerance * scale, what: what);
        }
    }

    private static void CheckBf16RoundTrip(string name)
    {
        using var x = File[$"{name}.in0"].ToTensor();
        using var bf = x.To(DType.BF16);
        using var back = bf.To(DType.F32);
        var bits = bf.AsSpan<ushort>().ToArray();
        var expectedBits = File[$"{name}.bits"].Data;
        var expectedOut = File[$"{name}.out"];
        Assert.Equal("BF16", expectedOut.DType);
        Assert.Equal(expectedBits.Length, bits.Length);
        var xs = x.ToArray();
        for (int i = 0; i < bits.Length; i++)
        {
            if (float.IsNaN(xs[i]))
            {
                // torch 1.13 writes 0xFFFF for NaN; the engine keeps the sign and quiets (0x7FC0): both are NaN.
                Assert.True(float.IsNaN(Bf16.ToSingle(bits[i])), $"{name}[{i}]: NaN must stay NaN, got 0x{bits[i]:X4}");
                Assert.True(float.IsNaN(expectedOut.Data[i]), $"{name}[{i}]: golden NaN");
                continue;
            }
            Assert.True((ushort)expectedBits[i] == bits[i], $"{name}[{i}]: input {xs[i]:r} → 0x{bits[i]:X4}, torch 0x{(ushort)expectedBits[i]:X4}");
        }
        var expectedBack = File[$"{name}.back"].Data;
        var actualBack = back.ToArray();
        for (int i = 0; i < actualBack.Length; i++)
        {
            if (float.IsNaN(expectedBack[i])) Assert.True(float.IsNaN(actualBack[i]), $"{name}.back[{i}]: expected NaN");
            else Assert.True(BitConverter.SingleToInt32Bits(expectedBack[i]) == BitConverter.SingleToInt32Bits(actualBack[i]), $"{name}.back[{i}]: {actualBack[i]:r}, torch {expectedBack[i]:r}");
        }
    }
}

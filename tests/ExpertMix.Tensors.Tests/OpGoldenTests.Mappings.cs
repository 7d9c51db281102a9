// The engine call for each op family of ops.safetensors, driven by the case's JSON parameters.
using System.Text.Json;
using ExpertMix.Tensors.Kernels;
using Xunit.Sdk;

namespace ExpertMix.Tensors.Tests;

public partial class OpGoldenTests
{
    /// <summary>Comparison rule: element-wise, or matmul-like (NMSE plus max abs scaled by √K).</summary>
    private readonly record struct Metric(double Tolerance, bool MatMulLike = false)
    {
        public static Metric Elementwise => new(1e-5);
    }

    /// <summary>Outputs, optional indices, and graph intermediates to dispose only after backward (Dispose drops GradFn).</summary>
    private sealed record Result(Tensor[] Outputs, Tensor? Indices = null, Tensor[]? Intermediates = null);

    /// <summary>An engine call, its comparison rule and the case parameters it honours (<see cref="Keys"/>).</summary>
    private sealed record Mapping(Func<Tensor[], JsonElement, Result> Run, Metric Metric, Metric? GradMetric = null)
    {
        public string[] Keys { get; init; } = [];
    }

    /// <summary>Keys every case may carry: structure and documentation only, no semantics.</summary>
    private static readonly string[] s_descriptiveKeys = ["op", "inputs", "differentiable", "note", "formula", "broadcast"];

    /// <summary>Fails when the case carries a parameter the mapping does not honour (it would be silently ignored).</summary>
    private static void RequireKnownParameters(string name, Mapping mapping, JsonElement p)
    {
        foreach (var prop in p.EnumerateObject())
        {
            if (Array.IndexOf(s_descriptiveKeys, prop.Name) < 0 && Array.IndexOf(mapping.Keys, prop.Name) < 0)
            {
                throw new XunitException($"case {name}: parameter '{prop.Name}' = {prop.Value} has no engine mapping: extend OpGoldenTests.MappingFor");
            }
        }
    }

    private static Mapping Unary(Func<Tensor, Tensor> f) => new((x, _) => new([f(x[0])]), Metric.Elementwise);

    private static Mapping Binary(Func<Tensor, Tensor, Tensor> f) => new((x, _) => new([f(x[0], x[1])]), Metric.Elementwise);

    private static Mapping Simple(Func<Tensor[], JsonElement, Tensor> f) => new((x, p) => new([f(x, p)]), Metric.Elementwise);

    /// <summary>The engine mapping for op family <paramref name="op"/>; fails the test for an op nobody mapped.</summary>
    private static Mapping MappingFor(string name, string op) => op switch
    {
        "add" or "add_same" => Binary(Ops.Add),
        "sub" => Binary(Ops.Sub),
        "mul" or "mul_scalar_tensor" => Binary(Ops.Mul),
        "div" or "div_both" => Binary(Ops.Div),
        "exp" => Unary(Ops.Exp),
        "log" => Unary(Ops.Log),
        "sqrt" => Unary(Ops.Sqrt),
        "rsqrt" => Unary(Ops.Rsqrt),
        "neg" => Unary(Ops.Neg),
        "gelu" => Simple((x, p) => Approximate(p) == "none" ? Ops.Gelu(x[0]) : throw Unmapped(name, "approximate")) with { Keys = ["approximate"] },
        "gelu_tanh" => Simple((x, p) => Approximate(p) == "tanh" ? Ops.GeluTanh(x[0]) : throw Unmapped(name, "approximate")) with { Keys = ["approximate"] },
        "silu" => Unary(Ops.Silu),
        "sigmoid" => Unary(Ops.Sigmoid),
        "relu" => Unary(Ops.Relu),
        "tanh" => Unary(Ops.Tanh),
        "swiglu" => Binary(Ops.SwiGlu),
        "sum" => Simple((x, p) => OptionalDim(p) is int d ? Ops.Sum(x[0], d, KeepDim(p)) : Ops.Sum(x[0])) with { Keys = ["dim", "keepdim"] },
        "mean" => Simple((x, p) => OptionalDim(p) is int d ? Ops.Mean(x[0], d, KeepDim(p)) : Ops.Mean(x[0])) with { Keys = ["dim", "keepdim"] },
        "max" => new((x, p) =>
        {
            var (values, indices) = Ops.Max(x[0], Int(p, "dim"), KeepDim(p));
            return new([values], indices);
        }, Metric.Elementwise) { Keys = ["dim", "keepdim"] },
        "softmax" => new((x, p) => LastDimOp(x[0], Int(p, "dim"), Ops.Softmax), Metric.Elementwise) { Keys = ["dim"] },
        "log_softmax" => new((x, p) => LastDimOp(x[0], Int(p, "dim"), Ops.LogSoftmax), Metric.Elementwise) { Keys = ["dim"] },
        "layer_norm" => Simple((x, p) =>
        {
            RequireNormalizedLastDim(x[0], p);
            return Ops.LayerNorm(x[0], x[1], x[2], (float)p.GetProperty("eps").GetDouble());
        }) with { Keys = ["eps", "normalized_shape"] },
        "rms_norm" => Simple((x, p) => Ops.RmsNorm(x[0], x[1], (float)p.GetProperty("eps").GetDouble())) with { Keys = ["eps"] },
        "rope" => Simple(Rope) with { Keys = ["inv_freq", "layout", "position_offset", "theta", "variant"] },
        "attention" => Simple(Attention) with { Keys = ["Dh", "H", "Hkv", "S", "T", "causal", "query_offset"] },
        "cross_entropy" => Simple((x, p) =>
        {
            Assert.Equal("mean", p.GetProperty("reduction").GetString());
            return Ops.CrossEntropy(x[0], x[1], LossReduction.Mean, Int(p, "ignore_index"));
        }) with { Keys = ["ignore_index", "reduction"] },
        "embedding" => Simple((x, _) => Ops.Embedding(x[1], x[0])),
        "matmul" => new((x, _) => new([Ops.MatMul(x[0], x[1])]), MatMulMetric),
        "linear" => new((x, _) => new([Ops.Linear(x[0], x[1], x.Length > 2 ? x[2] : null)]), MatMulMetric),
        "concat" => Simple((x, p) => Ops.Concat(x, Int(p, "dim"))) with { Keys = ["dim"] },
        "narrow" => Simple((x, p) => x[0].Narrow(Int(p, "dim"), Int(p, "start"), Int(p, "length"))) with { Keys = ["dim", "start", "length"] },
        "split" => new((x, p) => new(Ops.SplitSizes(x[0], Ints(p, "sizes"), Int(p, "dim"))), Metric.Elementwise) { Keys = ["dim", "sizes"] },
        "topk" => new((x, p) =>
        {
            Assert.Equal(-1, Int(p, "dim"));
            Assert.True(p.GetProperty("sorted").GetBoolean(), "the engine's TopK is always sorted");
            var (values, indices) = Ops.TopK(x[0], Int(p, "k"), p.GetProperty("largest").GetBoolean());
            return new([values], indices);
        }, Metric.Elementwise) { Keys = ["dim", "k", "largest", "sorted"] },
        "transpose_contiguous" => new((x, p) =>
        {
            var view = x[0].Transpose(Int(p, "dim0"), Int(p, "dim1"));
            return new([view.Contiguous()], Intermediates: [view]);
        }, Metric.Elementwise) { Keys = ["dim0", "dim1"] },
        "permute_contiguous" => new((x, p) =>
        {
            var view = x[0].Permute(Ints(p, "dims"));
            return new([view.Contiguous()], Intermediates: [view]);
        }, Metric.Elementwise) { Keys = ["dims"] },
        "reshape" => Simple((x, p) => x[0].Reshape(Ints(p, "shape"))) with { Keys = ["shape"] },
        _ => throw new XunitException($"no engine mapping for case {name} (op '{op}'): add one to OpGoldenTests.MappingFor"),
    };

    /// <summary>Matmul-like ops (the design doc's "matmul and reductions" row): NMSE ≤ 1e-7, max abs 1e-5 · √K · scale.</summary>
    private static Metric MatMulMetric => new(1e-5, MatMulLike: true);

    private static string? Approximate(JsonElement p) => p.GetProperty("approximate").GetString();

    private static XunitException Unmapped(string name, string key) => new($"case {name}: this value of '{key}' has no engine mapping");

    private static int Int(JsonElement p, string key) => p.GetProperty(key).GetInt32();

    private static int[] Ints(JsonElement p, string key) => p.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static int? OptionalDim(JsonElement p) =>
        p.TryGetProperty("dim", out var d) && d.ValueKind != JsonValueKind.Null ? d.GetInt32() : null;

    private static bool KeepDim(JsonElement p) => p.TryGetProperty("keepdim", out var k) && k.GetBoolean();

    private static void RequireNormalizedLastDim(Tensor x, JsonElement p)
    {
        var ns = Ints(p, "normalized_shape");
        Assert.True(ns.Length == 1 && ns[0] == x.Size(-1), $"the engine normalises the last dimension only, case has normalized_shape [{string.Join(",", ns)}]");
    }

    /// <summary>The engine's softmax family works over the last dimension: move <paramref name="dim"/> there and back.</summary>
    private static Result LastDimOp(Tensor x, int dim, Func<Tensor, Tensor> f)
    {
        int d = dim < 0 ? dim + x.Rank : dim;
        if (d == x.Rank - 1) return new([f(x)]);
        var moved = x.Transpose(d, -1);
        var y = f(moved);
        var back = y.Transpose(d, -1);
        return new([back.Contiguous()], Intermediates: [moved, y, back]);
    }

    private static Tensor Rope(Tensor[] x, JsonElement p)
    {
        Assert.Equal("[B,H,T,Dh]", p.GetProperty("layout").GetString());
        string variant = p.GetProperty("variant").GetString()!;
        var style = variant.StartsWith("rotate_half", StringComparison.Ordinal) ? RopeStyle.Half
            : variant.StartsWith("interleaved", StringComparison.Ordinal) ? RopeStyle.Interleaved
            : throw new XunitException($"unknown RoPE variant '{variant}'");
        int t = x[0].Size(2), dh = x[0].Size(3), offset = Int(p, "position_offset");
        var invFreq = RopeKernels.InverseFrequencies(dh, (float)p.GetProperty("theta").GetDouble());
        using var positions = Tensor.FromInts(Enumerable.Range(offset, t).ToArray(), new Shape(t));
        var (cos, sin) = Ops.RopeTable(invFreq, positions);
        using (cos)
        using (sin)
        {
            return Ops.Rope(x[0], cos, sin, style);
        }
    }

    private static Tensor Attention(Tensor[] x, JsonElement p)
    {
        bool causal = !p.TryGetProperty("causal", out var c) || c.GetBoolean();
        Assert.Equal([Int(p, "H"), Int(p, "T"), Int(p, "Dh")], new[] { x[0].Size(1), x[0].Size(2), x[0].Size(3) });
        Assert.Equal([Int(p, "Hkv"), Int(p, "S")], new[] { x[1].Size(1), x[1].Size(2) });
        if (causal)
        {
            // The engine's causal attention puts the T queries at the last T of the S key positions.
            Assert.Equal(Int(p, "S") - Int(p, "T"), Int(p, "query_offset"));
        }
        return Ops.ScaledDotProductAttention(x[0], x[1], x[2], x.Length > 3 ? x[3] : null, causal);
    }
}

// Transformer op benchmarks at Llama-like named shapes: softmax, norms, RoPE, causal GQA attention, cross-entropy.
using BenchmarkDotNet.Attributes;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Benchmarks;

/// <summary>
/// Forward (and fused backward) of the transformer ops. Bytes moved per call, for GB/s: softmax/norm/RoPE 8·numel;
/// attention FLOPs for GFLOP/s: 4·H·Dh·(T·S − T(T−1)/2) forward (causal), about 2.5× that for the backward.
/// </summary>
[MemoryDiagnoser]
public class NnOpsBenchmarks : IDisposable
{
    private Tensor _logits = null!;
    private Tensor _targets = null!;
    private Tensor _hidden = null!;
    private Tensor _weight = null!;
    private Tensor _q = null!;
    private Tensor _k = null!;
    private Tensor _v = null!;
    private Tensor _cos = null!;
    private Tensor _sin = null!;
    private Tensor _q1 = null!;

    /// <summary>Engine threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Allocates the inputs: logits [512, 32000], hidden [512, 4096], q [1, 32, 512, 128], k/v [1, 8, 512, 128].</summary>
    [GlobalSetup]
    public void Setup()
    {
        Engine.Threads = Threads;
        var rng = new Rng(1);
        _logits = Tensor.Randn(new Shape(512, 32000), rng);
        var t = new int[512];
        for (int i = 0; i < t.Length; i++) t[i] = rng.NextInt(32000);
        _targets = Tensor.FromInts(t, new Shape(512));
        _hidden = Tensor.Randn(new Shape(512, 4096), rng);
        _weight = Tensor.Randn(new Shape(4096), rng);
        _q = Tensor.Randn(new Shape(1, 32, 512, 128), rng);
        _k = Tensor.Randn(new Shape(1, 8, 512, 128), rng);
        _v = Tensor.Randn(new Shape(1, 8, 512, 128), rng);
        _q1 = _q.Narrow(2, 511, 1).Contiguous();
        var pos = new int[512];
        for (int i = 0; i < pos.Length; i++) pos[i] = i;
        using var p = Tensor.FromInts(pos, new Shape(512));
        (_cos, _sin) = Ops.RopeTable(RopeKernels.InverseFrequencies(128, 10000f), p);
    }

    /// <summary>Softmax over [512, 32000].</summary>
    [Benchmark]
    public void Softmax512x32000() => Ops.Softmax(_logits).Dispose();

    /// <summary>RMSNorm forward [512, 4096].</summary>
    [Benchmark]
    public void RmsNorm512x4096() => Ops.RmsNorm(_hidden, _weight).Dispose();

    /// <summary>LayerNorm forward [512, 4096].</summary>
    [Benchmark]
    public void LayerNorm512x4096() => Ops.LayerNorm(_hidden, _weight, _weight).Dispose();

    /// <summary>RoPE (HF half rotation) on q [1, 32, 512, 128].</summary>
    [Benchmark]
    public void RopeHalf32x512x128() => Ops.Rope(_q, _cos, _sin).Dispose();

    /// <summary>Causal GQA attention prefill, H 32, Hkv 8, T = S = 512, Dh 128.</summary>
    [Benchmark]
    public void AttentionPrefill512() => Ops.ScaledDotProductAttention(_q, _k, _v).Dispose();

    /// <summary>Causal GQA attention decode step, T 1, S 512.</summary>
    [Benchmark]
    public void AttentionDecode512() => Ops.ScaledDotProductAttention(_q1, _k, _v).Dispose();

    /// <summary>Attention prefill forward plus fused backward.</summary>
    [Benchmark]
    public void AttentionPrefill512Backward()
    {
        using var q = _q.Detach();
        q.RequiresGrad = true;
        using var y = Ops.ScaledDotProductAttention(q, _k, _v);
        y.Backward(y);
        q.ZeroGrad();
    }

    /// <summary>Cross-entropy forward plus fused backward, [512, 32000].</summary>
    [Benchmark]
    public void CrossEntropy512x32000()
    {
        using var x = _logits.Detach();
        x.RequiresGrad = true;
        using var loss = Ops.CrossEntropy(x, _targets);
        loss.Backward();
        x.ZeroGrad();
    }

    /// <summary>Releases the inputs.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        foreach (var t in new[] { _logits, _targets, _hidden, _weight, _q, _k, _v, _cos, _sin, _q1 }) t?.Dispose();
        GC.SuppressFinalize(this);
    }
}

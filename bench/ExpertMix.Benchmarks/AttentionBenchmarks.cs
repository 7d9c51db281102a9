// Attention forward at named shapes: causal prefill (tiled kernel) and the decode step over a KV-cache view.
using BenchmarkDotNet.Attributes;
using ExpertMix.Tensors;

namespace ExpertMix.Benchmarks;

/// <summary>
/// Causal attention forward (no autograd), B = 1. FLOPs for GFLOP/s: 4·H·Dh·(T·S − T(T−1)/2).
/// <see cref="Shape"/> names the case: "gpt2" H 12, Hkv 12, Dh 64; "gqa64" H 32, Hkv 8, Dh 64; "gqa128" H 32, Hkv 8,
/// Dh 128 (all T = S = 512). The decode benchmarks
/// read a T = 1 query against S = 1024 keys of a [1, Hkv, 2048, Dh] cache (a head-strided view, read in place).
/// </summary>
[MemoryDiagnoser]
public class AttentionBenchmarks : IDisposable
{
    private Tensor _q = null!;
    private Tensor _k = null!;
    private Tensor _v = null!;
    private Tensor _q1 = null!;
    private Tensor _kCache = null!;
    private Tensor _vCache = null!;
    private Tensor _kView = null!;
    private Tensor _vView = null!;

    /// <summary>Engine threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Named head layout: gpt2, gqa64 or gqa128.</summary>
    [Params("gpt2", "gqa64", "gqa128")]
    public string Shape { get; set; } = "gpt2";

    private (int H, int Hkv, int Dh) Heads => Shape switch
    {
        "gqa64" => (32, 8, 64),
        "gqa128" => (32, 8, 128),
        _ => (12, 12, 64),
    };

    /// <summary>Allocates q [1, H, 512, Dh], k/v [1, Hkv, 512, Dh], the decode query and the cache views.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Engine.Threads = Threads;
        var (h, hkv, dh) = Heads;
        var rng = new Rng(5);
        _q = Tensor.Randn(new Shape(1, h, 512, dh), rng);
        _k = Tensor.Randn(new Shape(1, hkv, 512, dh), rng);
        _v = Tensor.Randn(new Shape(1, hkv, 512, dh), rng);
        _q1 = Tensor.Randn(new Shape(1, h, 1, dh), rng);
        _kCache = Tensor.Randn(new Shape(1, hkv, 2048, dh), rng);
        _vCache = Tensor.Randn(new Shape(1, hkv, 2048, dh), rng);
        _kView = _kCache.Narrow(2, 0, 1024);
        _vView = _vCache.Narrow(2, 0, 1024);
    }

    /// <summary>Causal prefill T = S = 512 through the op (tiled kernel on AVX-512).</summary>
    [Benchmark]
    public void Prefill512() => Ops.ScaledDotProductAttention(_q, _k, _v).Dispose();

    /// <summary>Decode step: T = 1 against S = 1024 keys of a KV-cache view.</summary>
    [Benchmark]
    public void Decode1024() => Ops.ScaledDotProductAttention(_q1, _kView, _vView).Dispose();

    /// <summary>Releases the inputs.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        foreach (var t in new[] { _q, _k, _v, _q1, _kView, _vView, _kCache, _vCache }) t?.Dispose();
        GC.SuppressFinalize(this);
    }
}

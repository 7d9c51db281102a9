// BenchmarkDotNet: packed GEMM C[M×N] = A[M×K]·Wᵀ for the four shapes (compare with tools/bench/compare_gemm.sh).
using BenchmarkDotNet.Attributes;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Benchmarks;

/// <summary>Packed-weight GEMM throughput; FLOPs per call = 2·M·N·K.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private Tensor _a = null!;
    private Tensor _w = null!;
    private Tensor _c = null!;
    private PackedWeight _packed = null!;

    /// <summary>"M,N,K".</summary>
    [Params("512,3072,768", "512,768,3072", "128,2304,768", "2048,2048,2048")]
    public string Shape { get; set; } = "512,3072,768";

    private int M => int.Parse(Shape.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);

    private int N => int.Parse(Shape.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture);

    private int K => int.Parse(Shape.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Allocates inputs and packs the weight once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        _a = Tensor.Randn(new Shape(M, K), rng);
        _w = Tensor.Randn(new Shape(N, K), rng, 0.05f);
        _c = Tensor.Zeros(new Shape(M, N));
        _packed = PackedWeight.Pack(_w);
    }

    /// <summary>Releases the tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _packed.Dispose();
        _a.Dispose();
        _w.Dispose();
        _c.Dispose();
    }

    /// <summary>GEMM with the pre-packed weight.</summary>
    [Benchmark(Baseline = true)]
    public void Packed() => Gemm.SgemmPacked(Transpose.No, M, 1f, _a.Span, K, _packed, 0f, _c.Span, N);

    /// <summary>GEMM that packs the weight on every call.</summary>
    [Benchmark]
    public void Unpacked() => Gemm.Sgemm(Transpose.No, Transpose.Yes, M, N, K, 1f, _a.Span, K, _w.Span, K, 0f, _c.Span, N);
}

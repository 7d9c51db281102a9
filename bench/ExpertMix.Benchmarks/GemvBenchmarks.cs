// BenchmarkDotNet: single-token GEMV y = W·x for GPT-2-sized weights, f32 and bf16 storage.
using BenchmarkDotNet.Attributes;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Benchmarks;

/// <summary>GEMV throughput; bytes streamed per call = N·K·sizeof(weight element).</summary>
public class GemvBenchmarks
{
    private Tensor _wf = null!;
    private Tensor _wb = null!;
    private Tensor _x = null!;
    private Tensor _y = null!;

    /// <summary>Rows of W (3072: GPT-2 MLP; 50257: GPT-2 vocabulary).</summary>
    [Params(3072, 50257)]
    public int N { get; set; } = 3072;

    /// <summary>Columns of W.</summary>
    public int K { get; set; } = 768;

    /// <summary>Allocates the weight in both dtypes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(2);
        _wf = Tensor.Randn(new Shape(N, K), rng, 0.05f);
        _wb = _wf.To(DType.BF16);
        _x = Tensor.Randn(new Shape(K), rng);
        _y = Tensor.Zeros(new Shape(N));
    }

    /// <summary>Releases the tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _wf.Dispose();
        _wb.Dispose();
        _x.Dispose();
        _y.Dispose();
    }

    /// <summary>f32 weight.</summary>
    [Benchmark(Baseline = true)]
    public void F32() => Gemv.RowMajor(N, K, 1f, _wf.Span, K, _x.Span, 0f, _y.Span);

    /// <summary>bf16 weight, widened in registers.</summary>
    [Benchmark]
    public void Bf16() => Gemv.RowMajorBf16(N, K, 1f, _wb.AsSpan<ushort>(), K, _x.Span, 0f, _y.Span);
}

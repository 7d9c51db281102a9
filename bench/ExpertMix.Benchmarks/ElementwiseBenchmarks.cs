// Element-wise, activation, reduction and conversion kernels: SIMD vs scalar twins and TensorPrimitives, per length.
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels.Simd;
using Cvt = ExpertMix.Tensors.Kernels.Convert;
using Red = ExpertMix.Tensors.Kernels.Reduction;

namespace ExpertMix.Benchmarks;

/// <summary>Single-thread kernel throughput on cache-resident spans (report elements/s = Length / mean time).</summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _d = [];
    private ushort[] _bf = [];

    /// <summary>Elements per call.</summary>
    [Params(4096, 65536)]
    public int Length { get; set; }

    /// <summary>Random inputs in [−4, 4) and [0.5, 1.5).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        _x = new float[Length];
        _y = new float[Length];
        _d = new float[Length];
        _bf = new ushort[Length];
        for (int i = 0; i < Length; i++)
        {
            _x[i] = rng.NextFloat() * 8 - 4;
            _y[i] = rng.NextFloat() + 0.5f;
        }
    }

    /// <summary>SimdDriver add.</summary>
    [Benchmark(Baseline = true)]
    public void Add() => SimdDriver.Binary<AddOp>(_x, _y, _d);

    /// <summary>Scalar twin of add.</summary>
    [Benchmark]
    public void AddScalar() => SimdDriver.BinaryScalar<AddOp>(_x, _y, _d);

    /// <summary>FastExp through the driver.</summary>
    [Benchmark]
    public void Exp() => SimdDriver.Unary<ExpOp>(_x, _d);

    /// <summary>TensorPrimitives.Exp for comparison.</summary>
    [Benchmark]
    public void ExpTensorPrimitives() => TensorPrimitives.Exp(_x, _d);

    /// <summary>Exact (erf) GELU.</summary>
    [Benchmark]
    public void Gelu() => SimdDriver.Unary<GeluOp>(_x, _d);

    /// <summary>Tanh-approximated GELU.</summary>
    [Benchmark]
    public void GeluTanh() => SimdDriver.Unary<GeluTanhOp>(_x, _d);

    /// <summary>SiLU.</summary>
    [Benchmark]
    public void Silu() => SimdDriver.Unary<SiluOp>(_x, _d);

    /// <summary>Own tanh.</summary>
    [Benchmark]
    public void Tanh() => SimdDriver.Unary<TanhOp>(_x, _d);

    /// <summary>TensorPrimitives.Tanh for comparison.</summary>
    [Benchmark]
    public void TanhTensorPrimitives() => TensorPrimitives.Tanh(_x, _d);

    /// <summary>Pairwise sum.</summary>
    [Benchmark]
    public float Sum() => Red.Sum(_x);

    /// <summary>f32 → bf16 (RNE).</summary>
    [Benchmark]
    public void F32ToBf16() => Cvt.F32ToBf16(_x, _bf);

    /// <summary>bf16 → f32.</summary>
    [Benchmark]
    public void Bf16ToF32() => Cvt.Bf16ToF32(_bf, _d);
}

// A Linear weight W[N×K] (f32 or bf16) pre-packed once into the GEMM micro-kernel's B-panel layout.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

/// <summary>
/// A weight W[N×K] (torch Linear layout [out, in], dtype F32 or BF16) packed once into the f32 B-panel layout of
/// <see cref="Gemm"/> (op(B) = Wᵀ, ⌈N/NR⌉ panels of K×NR, bf16 widened exactly to f32), so
/// <see cref="Ops.Linear(Tensor, PackedWeight, Tensor?)"/> and <c>Gemm.SgemmPacked</c> do no per-call packing.
/// The source tensor is retained (one storage reference) for the M = 1 GEMV path, which streams the original
/// f32/bf16 weight, and for input gradients. Results are bit-identical to the unpacked path. Memory:
/// ⌈N/NR⌉·NR·K floats (4 bytes per element even for a bf16 source; NR = 48 with AVX-512).
/// </summary>
/// <remarks>
/// The panels are a copy: after the weight's values change (optimizer step, LoRA merge/unmerge, SVF update, loading)
/// call <see cref="Repack"/> or create a new instance; until then products use the old values (the M = 1 path reads
/// the source and would see new values, so a stale pack gives inconsistent results). Dispose releases the source
/// reference; the panel memory is managed (pinned) and reclaimed by the GC. Products may run concurrently; Repack
/// must not run concurrently with a product that uses this instance.
/// </remarks>
public sealed unsafe class PackedWeight : IDisposable
{
    private readonly GemmBuffer _panels;
    private Tensor? _source;

    private PackedWeight(Tensor source)
    {
        _source = source;
        OutFeatures = source.Size(0);
        InFeatures = source.Size(1);
        _panels = new GemmBuffer(Gemm.PackedBLength(OutFeatures, InFeatures));
        Repack();
    }

    /// <summary>Packs <paramref name="weight"/> [N, K] (F32 or BF16; non-contiguous inputs are copied first).</summary>
    /// <exception cref="ArgumentException">Not rank 2 or an unsupported dtype.</exception>
    public static PackedWeight Pack(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"PackedWeight needs a [out, in] weight, got {weight.Shape}", nameof(weight));
        if (weight.DType is not (DType.F32 or DType.BF16)) throw new ArgumentException($"PackedWeight supports F32 and BF16, got {weight.DType}", nameof(weight));
        Tensor source;
        if (weight.Stride(1) == 1 && weight.Stride(0) >= weight.Size(1)) source = weight.Detach();
        else
        {
            using var c = weight.Contiguous();
            source = c.Detach();
        }
        TensorScope.Forget(source);
        return new PackedWeight(source);
    }

    /// <summary>N: rows of W (outputs).</summary>
    public int OutFeatures { get; }

    /// <summary>K: columns of W (inputs).</summary>
    public int InFeatures { get; }

    /// <summary>The retained source weight (a view sharing the original storage unless a copy was needed).</summary>
    public Tensor Source => _source ?? throw new ObjectDisposedException(nameof(PackedWeight));

    /// <summary>Dtype of the source weight.</summary>
    public DType SourceDType => Source.DType;

    internal float* Panels => _panels.Pointer;

    /// <summary>Re-reads the source weight into the panels (call after its values changed).</summary>
    public void Repack()
    {
        var s = Source;
        if (s.DType == DType.F32) Gemm.PackB(Transpose.Yes, OutFeatures, InFeatures, s.DataPointer, s.Stride(0), _panels.Pointer, Engine.Threads);
        else Gemm.PackBBf16(Transpose.Yes, OutFeatures, InFeatures, (ushort*)s.RawPointer, s.Stride(0), _panels.Pointer, Engine.Threads);
    }

    internal void KeepAlive() => _panels.KeepAlive();

    /// <summary>Releases the source reference.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _source, null)?.Dispose();
    }
}

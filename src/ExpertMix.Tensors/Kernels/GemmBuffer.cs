// 64-byte aligned, pinned float scratch buffers for GEMM packing (thread-local, grown on demand, never shrunk).
namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// A pinned float array with a 64-byte aligned data pointer. Lives on the pinned object heap, so the pointer is stable
/// for the buffer's lifetime and the GC reclaims it when unreferenced (no explicit owner/dispose needed).
/// </summary>
internal sealed unsafe class GemmBuffer
{
    private readonly float[] _array;

    public GemmBuffer(long length)
    {
        _array = GC.AllocateUninitializedArray<float>(checked((int)length + 16), pinned: true);
        fixed (float* p = _array)
        {
            Pointer = (float*)(((nuint)p + 63) & ~(nuint)63);
        }
        Length = length;
    }

    /// <summary>Aligned start of the usable region.</summary>
    public float* Pointer { get; }

    /// <summary>Usable floats from <see cref="Pointer"/>.</summary>
    public long Length { get; }

    /// <summary>Keeps the array reachable while native pointers into it are used.</summary>
    public void KeepAlive() => GC.KeepAlive(_array);

    /// <summary>Returns <paramref name="buffer"/> when it holds ≥ <paramref name="length"/> floats, else a bigger new one.</summary>
    public static GemmBuffer Ensure(ref GemmBuffer? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = new GemmBuffer(Math.Max(length, (buffer?.Length ?? 0) * 5 / 4));
        return buffer;
    }
}

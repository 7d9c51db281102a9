// Memory-bandwidth probes for `bench gemv`: STREAM triad (regular and non-temporal stores) and a read-only sweep.
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands;

/// <summary>
/// Three 128 MiB arrays (far larger than L3) and three ways to stream them on <c>threads</c> workers:
/// <list type="bullet">
/// <item><see cref="Triad"/>: STREAM's triad a[i] = b[i] + 3·c[i] with ordinary stores, as stream.c compiled by gcc
/// runs it; bandwidth counts 3 arrays (STREAM's convention), while the write-allocate of <c>a</c> moves a fourth.</item>
/// <item><see cref="TriadNonTemporal"/>: the same triad through <see cref="TensorPrimitives"/>, which streams large
/// stores non-temporally (no write-allocate), as icc builds of STREAM do: the highest figure a mixed read/write
/// stream reaches.</item>
/// <item><see cref="Read"/>: a read-only sum of one array: the ceiling of any kernel that only reads, such as GEMV.</item>
/// </list>
/// </summary>
internal sealed class MemoryBandwidth(int threads)
{
    private const int Length = 32 << 20;
    private const int Chunk = 4096;
    private readonly float[] _a = Filled(0f);
    private readonly float[] _b = Filled(1f);
    private readonly float[] _c = Filled(2f);
    private float _sink;

    /// <summary>Bytes one triad is credited with: 3 arrays.</summary>
    public static double TriadBytes => 3.0 * Length * sizeof(float);

    /// <summary>Bytes one <see cref="Read"/> streams.</summary>
    public static double ReadBytes => (double)Length * sizeof(float);

    /// <summary>a = b + 3·c with ordinary vector stores.</summary>
    public void Triad() => Par.ForThreads(Length / Chunk, threads, (s, e) =>
    {
        ref float a = ref MemoryMarshal.GetArrayDataReference(_a);
        ref float b = ref MemoryMarshal.GetArrayDataReference(_b);
        ref float c = ref MemoryMarshal.GetArrayDataReference(_c);
        var three = Vector256.Create(3f);
        for (nuint i = (nuint)(s * Chunk), end = (nuint)(e * Chunk); i < end; i += (nuint)Vector256<float>.Count)
        {
            (Vector256.LoadUnsafe(ref b, i) + three * Vector256.LoadUnsafe(ref c, i)).StoreUnsafe(ref a, i);
        }
    });

    /// <summary>a = b + 3·c through TensorPrimitives (non-temporal stores for large spans).</summary>
    public void TriadNonTemporal() => Par.ForThreads(Length / Chunk, threads, (s, e) =>
    {
        int start = s * Chunk, count = (e - s) * Chunk;
        TensorPrimitives.MultiplyAdd(_c.AsSpan(start, count), 3f, _b.AsSpan(start, count), _a.AsSpan(start, count));
    });

    /// <summary>Σ b: reads one array once.</summary>
    public void Read() => Par.ForThreads(Length / Chunk, threads, (s, e) =>
    {
        float sum = TensorPrimitives.Sum(new ReadOnlySpan<float>(_b, s * Chunk, (e - s) * Chunk));
        Interlocked.Exchange(ref _sink, _sink + sum);
    });

    private static float[] Filled(float v)
    {
        var a = GC.AllocateUninitializedArray<float>(Length);
        Array.Fill(a, v);
        return a;
    }
}

// How the attention forward reads cached keys and values: f32 as stored, or bf16 widened exactly in registers.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// One K/V storage type of the row forward. Every read widens exactly to f32 (bf16 bits b → float bits b &lt;&lt; 16), so
/// a bf16 cache gives bit for bit what the f32 kernel gives on the widened values: the blocked Vector512 loops widen
/// in registers, every other path widens the row into scratch (<see cref="Row"/>) and runs the f32 code.
/// </summary>
internal unsafe interface IKvElement
{
    /// <summary>Bytes per element.</summary>
    static abstract int Size { get; }

    /// <summary>Element i as f32.</summary>
    static abstract float Get(byte* p, long i);

    /// <summary>Elements [i, i + 16) as f32 (callers check <see cref="Vector512.IsHardwareAccelerated"/>).</summary>
    static abstract Vector512<float> Get16(byte* p, long i);

    /// <summary>The <paramref name="n"/> elements at <paramref name="p"/> as f32: <paramref name="p"/> itself for f32, else widened into <paramref name="scratch"/>.</summary>
    static abstract float* Row(byte* p, int n, float* scratch);
}

/// <summary>F32 keys/values (the default cache).</summary>
internal readonly unsafe struct F32Kv : IKvElement
{
    public static int Size => sizeof(float);

    public static float Get(byte* p, long i) => ((float*)p)[i];

    public static Vector512<float> Get16(byte* p, long i) => Vector512.Load((float*)p + i);

    public static float* Row(byte* p, int n, float* scratch) => (float*)p;
}

/// <summary>BF16 keys/values (raw bits), widened exactly.</summary>
internal readonly unsafe struct Bf16Kv : IKvElement
{
    public static int Size => sizeof(ushort);

    public static float Get(byte* p, long i) => BitConverter.Int32BitsToSingle(((ushort*)p)[i] << 16);

    public static Vector512<float> Get16(byte* p, long i)
    {
        var bits = Vector256.Load((ushort*)p + i);
        var wide = Avx512F.IsSupported ? Avx512F.ConvertToVector512UInt32(bits) : Vector512.Create(Vector256.WidenLower(bits), Vector256.WidenUpper(bits));
        return Vector512.ShiftLeft(wide, 16).AsSingle();
    }

    public static float* Row(byte* p, int n, float* scratch)
    {
        Convert.Bf16ToF32(new ReadOnlySpan<ushort>(p, n), new Span<float>(scratch, n));
        return scratch;
    }
}

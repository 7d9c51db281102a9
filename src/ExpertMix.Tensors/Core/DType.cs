// Element types: f32 is the compute type; f16/bf16 are storage types; the rest exist for file IO and indices.
namespace ExpertMix.Tensors;

/// <summary>Element type of a tensor's storage. Compute is always <see cref="F32"/>; 16-bit floats are storage-only.</summary>
public enum DType
{
    /// <summary>IEEE-754 binary32 (the compute type).</summary>
    F32,
    /// <summary>IEEE-754 binary16, storage only.</summary>
    F16,
    /// <summary>bfloat16 (upper 16 bits of binary32), storage only.</summary>
    BF16,
    /// <summary>IEEE-754 binary64 (tests, file IO).</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Signed 32-bit integer (token ids, indices).</summary>
    I32,
    /// <summary>Unsigned byte.</summary>
    U8,
    /// <summary>Boolean stored as one byte (0 or 1).</summary>
    Bool,
}

/// <summary>Sizes and safetensors names of <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Size in bytes of one element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.F64 or DType.I64 => 8,
        DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for F32, F16, BF16 and F64.</summary>
    public static bool IsFloat(this DType dtype) => dtype is DType.F32 or DType.F16 or DType.BF16 or DType.F64;

    /// <summary>The dtype's name in a safetensors header ("F32", "BF16", "I64", "BOOL", ...).</summary>
    public static string SafetensorsName(this DType dtype) => dtype switch
    {
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        DType.F64 => "F64",
        DType.I64 => "I64",
        DType.I32 => "I32",
        DType.U8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Parses a safetensors dtype name; returns false for names ExpertMix does not support.</summary>
    public static bool TryParseSafetensorsName(string name, out DType dtype)
    {
        switch (name)
        {
            case "F32": dtype = DType.F32; return true;
            case "F16": dtype = DType.F16; return true;
            case "BF16": dtype = DType.BF16; return true;
            case "F64": dtype = DType.F64; return true;
            case "I64": dtype = DType.I64; return true;
            case "I32": dtype = DType.I32; return true;
            case "U8": dtype = DType.U8; return true;
            case "BOOL": dtype = DType.Bool; return true;
            default: dtype = default; return false;
        }
    }
}

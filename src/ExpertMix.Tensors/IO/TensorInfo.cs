// Where one tensor lives in a safetensors file: dtype, shape and byte range (validated against the file).
namespace ExpertMix.Tensors.IO;

/// <summary>
/// The header entry of one tensor in a safetensors file, after validation: the byte range
/// [<see cref="DataBegin"/>, <see cref="DataEnd"/>) is relative to the data section, holds exactly
/// <c>Numel × DType.SizeOf()</c> bytes and lies inside the file.
/// </summary>
public sealed class TensorInfo
{
    internal TensorInfo(string name, DType dtype, int[] shape, long dataBegin, long dataEnd, long fileOffset, string file)
    {
        Name = name;
        DType = dtype;
        Shape = Shape.Wrap(shape);
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        FileOffset = fileOffset;
        File = file;
    }

    /// <summary>The tensor's name (a dotted module path for model weights).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Dimension sizes (rank 0 for a scalar).</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements (1 for a scalar, 0 when any dimension is 0).</summary>
    public long Numel => Shape.Numel;

    /// <summary>Start of the data, in bytes from the start of the data section (the header's <c>data_offsets[0]</c>).</summary>
    public long DataBegin { get; }

    /// <summary>End (exclusive) of the data, in bytes from the start of the data section (<c>data_offsets[1]</c>).</summary>
    public long DataEnd { get; }

    /// <summary>Size of the data in bytes (<c>DataEnd − DataBegin</c> = <c>Numel × DType.SizeOf()</c>).</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>Absolute offset of the first data byte in the file (<c>8 + header length + DataBegin</c>).</summary>
    public long FileOffset { get; }

    /// <summary>Path of the file that holds the tensor (the shard, for sharded checkpoints).</summary>
    public string File { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {DType.SafetensorsName()} {Shape} [{DataBegin}, {DataEnd})";
}

// Test-only reader of the PyTorch golden files (safetensors) written by tools/golden/*.py.
using System.Buffers.Binary;
using System.Text.Json;
using ExpertMix.Tensors;

namespace ExpertMix.Testing;

/// <summary>One tensor of a golden file: dtype name, shape, values as float (integers converted exactly) and raw bytes.</summary>
public sealed record GoldenTensor(string Name, string DType, int[] Shape, float[] Data, byte[] Raw)
{
    /// <summary>The values as a new F32 tensor (the caller owns it).</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data, new Shape(Shape));

    /// <summary>The values as longs (integer dtypes: token ids, targets, indices).</summary>
    public long[] ToInt64() => Array.ConvertAll(Data, x => (long)x);
}

/// <summary>
/// A golden safetensors file loaded fully into memory: name → <see cref="GoldenTensor"/> plus the string metadata.
/// <see cref="Load"/> checks the <c>format_version</c> metadata and fails with "regenerate with: &lt;command&gt;".
/// </summary>
public sealed class GoldenFile
{
    /// <summary>The golden format version the tests expect (tools/golden/common.py FORMAT_VERSION).</summary>
    public const string FormatVersion = "1";

    private GoldenFile(string path, Dictionary<string, GoldenTensor> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Name → tensor.</summary>
    public IReadOnlyDictionary<string, GoldenTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The command that regenerates the file (metadata <c>command</c>).</summary>
    public string Command => Metadata.TryGetValue("command", out var c) ? c : "(unknown: see tools/golden/README.md)";

    /// <summary>Loads a file from tests/ExpertMix.Tensors.Tests/Golden by file name.</summary>
    public static GoldenFile LoadTensorsGolden(string fileName) =>
        Load(System.IO.Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Tensors.Tests", "Golden", fileName));

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Malformed file, unsupported dtype, or a format version mismatch
    /// (the message contains "regenerate with: &lt;command&gt;").</exception>
    public static GoldenFile Load(string path, string expectedFormatVersion = FormatVersion)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8)) throw new InvalidDataException($"{path}: header length {n} exceeds the file");
        int dataStart = 8 + (int)n;
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (doc.RootElement.TryGetProperty("__metadata__", out var m))
        {
            foreach (var p in m.EnumerateObject()) metadata[p.Name] = p.Value.GetString() ?? "";
        }
        string command = metadata.TryGetValue("command", out var c) ? c : "(see tools/golden/README.md)";
        if (!metadata.TryGetValue("format_version", out var version) || version != expectedFormatVersion)
        {
            throw new InvalidDataException($"{path}: golden format_version '{version ?? "(missing)"}', the tests expect '{expectedFormatVersion}'; regenerate with: {command}");
        }
        var tensors = new Dictionary<string, GoldenTensor>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            string dtype = p.Value.GetProperty("dtype").GetString()!;
            int[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offs.Length != 2) throw new InvalidDataException($"{path}: tensor '{p.Name}' has bad data_offsets; regenerate with: {command}");
            long begin = dataStart + offs[0], end = dataStart + offs[1];
            if (begin > end || end > bytes.Length) throw new InvalidDataException($"{path}: tensor '{p.Name}' has bad data_offsets; regenerate with: {command}");
            var raw = bytes.AsSpan((int)begin, (int)(end - begin)).ToArray();
            long numel = shape.Aggregate(1L, (a, d) => a * d);
            var data = Decode(dtype, raw, numel, $"{path}: tensor '{p.Name}'");
            tensors[p.Name] = new GoldenTensor(p.Name, dtype, shape, data, raw);
        }
        return new GoldenFile(path, tensors, metadata);
    }

    /// <summary>The tensor <paramref name="name"/>; a missing name fails with the regenerate hint.</summary>
    public GoldenTensor this[string name] => Tensors.TryGetValue(name, out var t)
        ? t
        : throw new KeyNotFoundException($"{Path}: no tensor '{name}'; regenerate with: {Command}");

    /// <summary>The metadata value <paramref name="key"/>; a missing key fails with the regenerate hint.</summary>
    public string Meta(string key) => Metadata.TryGetValue(key, out var v)
        ? v
        : throw new KeyNotFoundException($"{Path}: no metadata '{key}'; regenerate with: {Command}");

    private static float[] Decode(string dtype, byte[] raw, long numel, string what)
    {
        int size = dtype switch
        {
            "F32" or "I32" => 4,
            "F64" or "I64" => 8,
            "BF16" or "F16" or "I16" => 2,
            "BOOL" or "U8" or "I8" => 1,
            _ => throw new InvalidDataException($"{what}: unsupported dtype {dtype}"),
        };
        if (raw.Length != numel * size) throw new InvalidDataException($"{what}: {raw.Length} bytes for {numel} {dtype} elements");
        var r = new float[numel];
        var s = raw.AsSpan();
        for (int i = 0; i < r.Length; i++)
        {
            var e = s.Slice(i * size, size);
            r[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(e),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(e),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(e),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(e),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(e),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(e),
                "I8" => (sbyte)e[0],
                _ => e[0],
            };
        }
        return r;
    }
}

// Parses and validates a safetensors header against the file size before any tensor byte is touched.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace ExpertMix.Tensors.IO;

/// <summary>A validated safetensors header: tensors in header order, the metadata and where the data starts.</summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Largest header accepted (the reference implementation uses the same 100 MB cap).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(List<TensorInfo> tensors, Dictionary<string, TensorInfo> byName, Dictionary<string, string> metadata, long headerLength)
    {
        Tensors = tensors;
        ByName = byName;
        Metadata = metadata;
        HeaderLength = headerLength;
    }

    public List<TensorInfo> Tensors { get; }

    public Dictionary<string, TensorInfo> ByName { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>N, the JSON length; the data section starts at 8 + N.</summary>
    public long HeaderLength { get; }

    /// <summary>
    /// Validates the whole file layout: header length, UTF-8, JSON structure, each entry's dtype/shape/offsets,
    /// ranges inside the data section, no overlaps, no duplicate names, string→string metadata.
    /// </summary>
    /// <param name="path">File path, for messages.</param>
    /// <param name="head">The first min(<paramref name="fileLength"/>, 2³¹−1) bytes of the file.</param>
    /// <param name="fileLength">The file size in bytes.</param>
    /// <exception cref="InvalidDataException">Anything is wrong; the message starts with <paramref name="path"/>.</exception>
    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.Length != Math.Min(fileLength, int.MaxValue)) throw new ArgumentException("head must hold the start of the file", nameof(head));
        if (fileLength < 8) throw Fail(path, $"file is {fileLength} bytes; a safetensors file needs at least 8 (the header length)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (n > MaxHeaderBytes) throw Fail(path, $"header length {n} exceeds the {MaxHeaderBytes}-byte limit (file is {fileLength} bytes)");
        if (8 + (long)n > fileLength) throw Fail(path, $"header length {n} runs past the end of the file: 8 + {n} > {fileLength} bytes");
        var json = head.Slice(8, (int)n);
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw Fail(path, $"header is not valid UTF-8 (first bad byte at header offset {FirstInvalidUtf8(json)})");

        long dataStart = 8 + (long)n;
        long dataLength = fileLength - dataStart;
        var tensors = new List<TensorInfo>();
        var byName = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        try
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 });
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw Fail(path, $"header must be a JSON object, found {Describe(ref r)}");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (Next(ref r, path) != JsonTokenType.EndObject)
            {
                string name = r.GetString()!;
                if (!seen.Add(name)) throw Fail(path, $"duplicate entry '{name}' in the header");
                Next(ref r, path);
                if (name == "__metadata__")
                {
                    metadata = ReadStringMap(ref r, path, "__metadata__");
                    continue;
                }
                var info = ReadEntry(ref r, path, name, dataStart, dataLength);
                tensors.Add(info);
                byName.Add(name, info);
            }
            if (r.Read()) throw Fail(path, $"unexpected {Describe(ref r)} after the header object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: GetString on an escaped lone surrogate ("\ud800").
            throw Fail(path, $"header is not valid JSON: {e.Message}", e);
        }
        CheckOverlaps(path, tensors);
        return new SafetensorsHeader(tensors, byName, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal), (long)n);
    }

    private static TensorInfo ReadEntry(ref Utf8JsonReader r, string path, string name, long dataStart, long dataLength)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw Fail(path, $"tensor '{name}': entry must be an object with dtype, shape and data_offsets, found {Describe(ref r)}");
        string? dtypeName = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (Next(ref r, path) != JsonTokenType.EndObject)
        {
            string key = r.GetString()!;
            Next(ref r, path);
            switch (key)
            {
                case "dtype":
                    if (dtypeName is not null) throw Fail(path, $"tensor '{name}': duplicate key 'dtype'");
                    if (r.TokenType != JsonTokenType.String) throw Fail(path, $"tensor '{name}': dtype must be a string, found {Describe(ref r)}");
                    dtypeName = r.GetString()!;
                    break;
                case "shape":
                    if (shape is not null) throw Fail(path, $"tensor '{name}': duplicate key 'shape'");
                    shape = ReadIntegers(ref r, path, name, "shape", int.MaxValue);
                    break;
                case "data_offsets":
                    if (offsets is not null) throw Fail(path, $"tensor '{name}': duplicate key 'data_offsets'");
                    offsets = ReadIntegers(ref r, path, name, "data_offsets", long.MaxValue);
                    break;
                default:
                    throw Fail(path, $"tensor '{name}': unknown key '{key}' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtypeName is null) throw Fail(path, $"tensor '{name}': missing 'dtype'");
        if (shape is null) throw Fail(path, $"tensor '{name}': missing 'shape'");
        if (offsets is null) throw Fail(path, $"tensor '{name}': missing 'data_offsets'");
        if (!DTypes.TryParseSafetensorsName(dtypeName, out var dtype))
        {
            throw Fail(path, $"tensor '{name}': unsupported dtype \"{Clip(dtypeName)}\" (supported: F32, F16, BF16, F64, I64, I32, U8, BOOL)");
        }
        var dims = new int[shape.Length];
        long numel = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            dims[i] = (int)shape[i];
            numel = MultiplyOrFail(numel, shape[i], path, name, dims);
        }
        long bytes = MultiplyOrFail(numel, dtype.SizeOf(), path, name, dims);
        if (offsets.Length != 2) throw Fail(path, $"tensor '{name}': data_offsets must have 2 entries [begin, end], found {offsets.Length}");
        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw Fail(path, $"tensor '{name}': data_offsets [{begin}, {end}] has begin > end");
        if (end - begin != bytes)
        {
            throw Fail(path, $"tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes but shape {Shape.Format(dims)} of {dtypeName} needs {bytes}");
        }
        if (end > dataLength)
        {
            throw Fail(path, $"tensor '{name}': data_offsets [{begin}, {end}] run past the data section ({dataLength} bytes: 8 + {dataStart - 8} + {end} > file size {dataStart + dataLength})");
        }
        return new TensorInfo(name, dtype, dims, begin, end, dataStart + begin, path);
    }

    private static long MultiplyOrFail(long a, long b, string path, string name, int[] dims)
    {
        if (b != 0 && a > long.MaxValue / b) throw Fail(path, $"tensor '{name}': shape {Shape.Format(dims)} is too large (byte count overflows 64 bits)");
        return a * b;
    }

    private static long[] ReadIntegers(ref Utf8JsonReader r, string path, string name, string key, long max)
    {
        if (r.TokenType != JsonTokenType.StartArray) throw Fail(path, $"tensor '{name}': {key} must be an array of non-negative integers, found {Describe(ref r)}");
        var values = new List<long>();
        while (Next(ref r, path) != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v) || v < 0 || v > max)
            {
                string limit = max == int.MaxValue ? "non-negative integers fitting in int32" : "non-negative 64-bit integers";
                throw Fail(path, $"tensor '{name}': {key} must contain {limit}, found {Describe(ref r)}");
            }
            values.Add(v);
        }
        return values.ToArray();
    }

    /// <summary>Reads a JSON object whose values are all strings (duplicate keys rejected).</summary>
    internal static Dictionary<string, string> ReadStringMap(ref Utf8JsonReader r, string path, string what)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw Fail(path, $"{what} must be an object of string values, found {Describe(ref r)}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (Next(ref r, path) != JsonTokenType.EndObject)
        {
            string key = r.GetString()!;
            Next(ref r, path);
            if (r.TokenType != JsonTokenType.String) throw Fail(path, $"{what}: value of '{key}' must be a string, found {Describe(ref r)}");
            if (!map.TryAdd(key, r.GetString()!)) throw Fail(path, $"{what}: duplicate key '{key}'");
        }
        return map;
    }

    /// <summary>Advances one token; a premature end of input is a format error.</summary>
    internal static JsonTokenType Next(ref Utf8JsonReader r, string path)
    {
        if (!r.Read()) throw Fail(path, "header JSON ends early");
        return r.TokenType;
    }

    private static void CheckOverlaps(string path, List<TensorInfo> tensors)
    {
        var sorted = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataBegin).ThenBy(t => t.DataEnd).ToList();
        TensorInfo? reach = null;
        foreach (var t in sorted)
        {
            if (reach is not null && t.DataBegin < reach.DataEnd)
            {
                throw Fail(path, $"tensors '{reach.Name}' [{reach.DataBegin}, {reach.DataEnd}) and '{t.Name}' [{t.DataBegin}, {t.DataEnd}) overlap");
            }
            if (reach is null || t.DataEnd > reach.DataEnd) reach = t;
        }
    }

    /// <summary>"a string \"x\"", "the number 1.5", "end of object" … for messages.</summary>
    internal static string Describe(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.String => $"the string \"{Clip(r.GetString()!)}\"",
        JsonTokenType.Number => $"the number {Clip(Encoding.UTF8.GetString(r.ValueSpan))}",
        JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null => Encoding.UTF8.GetString(r.ValueSpan),
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.EndObject => "the end of an object",
        JsonTokenType.EndArray => "the end of an array",
        JsonTokenType.None => "nothing",
        _ => r.TokenType.ToString(),
    };

    private static string Clip(string s) => s.Length <= 64 ? s : s[..61] + "...";

    private static long FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return -1;
    }

    /// <summary>A format error whose message starts with the file path.</summary>
    internal static InvalidDataException Fail(string path, string message, Exception? inner = null) => new($"{path}: {message}", inner);
}

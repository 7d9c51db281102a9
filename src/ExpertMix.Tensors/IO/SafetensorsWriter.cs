// Writes safetensors files (single and sharded) atomically, in a deterministic layout.
// Note: the design doc puts file IO in ExpertMix.Models; issue #2 asks for safetensors IO in the engine, so it lives here.
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ExpertMix.Tensors.IO;

/// <summary>
/// Writes the safetensors format: 8-byte little-endian header length N, N bytes of JSON (padded with spaces so
/// the data section starts on an 8-byte boundary), then each tensor's contiguous raw little-endian bytes.
/// </summary>
/// <remarks>
/// Layout is deterministic: <c>__metadata__</c> first, then tensors sorted by name (ordinal), data in the same
/// order with no gaps. Any dtype is written as raw bits (bf16/f16 unchanged). Non-contiguous tensors are
/// written as their row-major contiguous copy. Files are replaced atomically (<see cref="AtomicFile"/>).
/// </remarks>
public static unsafe class SafetensorsWriter
{
    private static readonly JsonWriterOptions s_jsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="tensors"/> and optional <paramref name="metadata"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentException">A name is null, repeated or <c>__metadata__</c>; a metadata value is null; a tensor is disposed.</exception>
    /// <exception cref="IOException">Writing failed; an existing file at <paramref name="path"/> is unchanged.</exception>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var sorted = Prepare(tensors, metadata);
        AtomicFile.Write(path, stream => WriteTo(stream, sorted, metadata));
    }

    /// <summary>Writes a name → tensor map (see <see cref="Write(string, IEnumerable{ValueTuple{string, Tensor}}, IReadOnlyDictionary{string, string}?)"/>).</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(path, tensors.Select(kv => (kv.Key, kv.Value)), metadata);
    }

    /// <summary>
    /// Writes a checkpoint into <paramref name="directory"/>, splitting it into shards of at most
    /// <paramref name="maxShardBytes"/> data bytes (a larger single tensor gets a shard of its own). One shard is
    /// written as <c>{baseName}.safetensors</c> with no index; n &gt; 1 shards as
    /// <c>{baseName}-0000i-of-0000n.safetensors</c> plus <c>{baseName}.safetensors.index.json</c>
    /// (<c>metadata.total_size</c> = data bytes, plus <paramref name="metadata"/>; <c>weight_map</c> sorted by name),
    /// written last. Each file is written atomically. Tensors are assigned greedily in name order.
    /// </summary>
    /// <returns>Full paths of the files written (shards, then the index if any).</returns>
    public static IReadOnlyList<string> WriteSharded(string directory, IEnumerable<(string Name, Tensor Tensor)> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null, string baseName = "model")
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        var sorted = Prepare(tensors, metadata);
        var shards = new List<List<(string Name, Tensor Tensor)>> { new() };
        long current = 0, total = 0;
        foreach (var e in sorted)
        {
            long bytes = e.Tensor.Numel * e.Tensor.DType.SizeOf();
            if (shards[^1].Count > 0 && current + bytes > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(e);
            current += bytes;
            total += bytes;
        }
        var written = new List<string>();
        if (shards.Count == 1)
        {
            string single = Path.Combine(directory, baseName + ".safetensors");
            AtomicFile.Write(single, stream => WriteTo(stream, shards[0], metadata));
            written.Add(Path.GetFullPath(single));
            return written;
        }
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"{baseName}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            var shard = shards[i];
            AtomicFile.Write(Path.Combine(directory, file), stream => WriteTo(stream, shard, metadata));
            written.Add(Path.GetFullPath(Path.Combine(directory, file)));
            foreach (var (name, _) in shard) weightMap[name] = file;
        }
        string index = Path.Combine(directory, baseName + ".safetensors.index.json");
        AtomicFile.Write(index, stream => WriteIndex(stream, total, metadata, weightMap));
        written.Add(Path.GetFullPath(index));
        return written;
    }

    /// <summary>The header JSON (unpadded) for entries in the given order, with data offsets assigned back to back.</summary>
    internal static byte[] BuildHeaderJson(IReadOnlyList<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, s_jsonOptions))
        {
            w.WriteStartObject();
            if (metadata is not null && metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in entries)
            {
                long bytes = t.Numel * t.DType.SizeOf();
                w.WriteStartObject(name);
                w.WriteString("dtype", t.DType.SafetensorsName());
                w.WriteStartArray("shape");
                foreach (int d in t.Shape.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Writes the whole file body (header length, padded header, data) of already validated, ordered entries.</summary>
    private static void WriteTo(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = BuildHeaderJson(entries, metadata);
        int padded = (json.Length + 7) & ~7;
        Span<byte> prefix = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, t) in entries) WriteData(stream, t);
    }

    private static void WriteData(Stream stream, Tensor t)
    {
        if (t.Numel == 0) return;
        if (!t.IsContiguous)
        {
            using var c = t.Contiguous();
            WriteData(stream, c);
            return;
        }
        byte* p = t.RawPointer;
        long bytes = t.Numel * t.DType.SizeOf();
        for (long off = 0; off < bytes; off += 1 << 30)
        {
            stream.Write(new ReadOnlySpan<byte>(p + off, (int)Math.Min(1 << 30, bytes - off)));
        }
    }

    private static void WriteIndex(Stream stream, long totalSize, IReadOnlyDictionary<string, string>? metadata, SortedDictionary<string, string> weightMap)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true });
        w.WriteStartObject();
        w.WriteStartObject("metadata");
        w.WriteNumber("total_size", totalSize);
        if (metadata is not null)
        {
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (k != "total_size") w.WriteString(k, v);
            }
        }
        w.WriteEndObject();
        w.WriteStartObject("weight_map");
        foreach (var (name, file) in weightMap) w.WriteString(name, file);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Validates names, tensors and metadata; returns the entries sorted by name (ordinal).</summary>
    private static List<(string Name, Tensor Tensor)> Prepare(IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine");
        var list = new List<(string Name, Tensor Tensor)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
        {
            if (name is null) throw new ArgumentException("a tensor name is null", nameof(tensors));
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(tensors));
            if (!seen.Add(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(tensors));
            if (t is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            if (t.IsDisposed) throw new ArgumentException($"tensor '{name}' is disposed", nameof(tensors));
            list.Add((name, t));
        }
        if (metadata is not null)
        {
            foreach (var (k, v) in metadata)
            {
                if (k is null || v is null) throw new ArgumentException($"metadata entry '{k}' has a null key or value", nameof(metadata));
            }
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }
}

// Parses `model.safetensors.index.json`: the weight_map (tensor → shard file) and metadata of a sharded checkpoint.
using System.Text;
using System.Text.Json;

namespace ExpertMix.Tensors.IO;

/// <summary>
/// The index of a sharded checkpoint: <c>{"metadata": {...}, "weight_map": {tensor: "model-00001-of-00002.safetensors"}}</c>.
/// Shard names are resolved relative to the index's directory and must stay inside it.
/// </summary>
public sealed class SafetensorsIndex
{
    /// <summary>The conventional index file name.</summary>
    public const string DefaultFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, string> _weightMap;

    private SafetensorsIndex(string path, List<string> names, Dictionary<string, string> weightMap, Dictionary<string, string> metadata)
    {
        Path = path;
        Directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        Names = names;
        _weightMap = weightMap;
        Metadata = metadata;
        ShardFiles = names.Select(n => weightMap[n]).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The index file.</summary>
    public string Path { get; }

    /// <summary>The folder the shard names are relative to.</summary>
    public string Directory { get; }

    /// <summary>Tensor names in index order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Tensor name → shard file name (relative to <see cref="Directory"/>).</summary>
    public IReadOnlyDictionary<string, string> WeightMap => _weightMap;

    /// <summary>The <c>metadata</c> object; non-string values (e.g. <c>total_size</c>) are kept as their JSON text.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Distinct shard file names in order of first use.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary>Full path of shard <paramref name="file"/>.</summary>
    public string ShardPath(string file) => System.IO.Path.Combine(Directory, file);

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="InvalidDataException">Malformed index; the message starts with the path.</exception>
    public static SafetensorsIndex Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: index file not found", path);
        if (info.Length > SafetensorsHeader.MaxHeaderBytes) throw SafetensorsHeader.Fail(path, $"index is {info.Length} bytes, over the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
        return Parse(path, File.ReadAllBytes(path));
    }

    /// <summary>Validates index JSON: an object with a string→string <c>weight_map</c> and an optional <c>metadata</c> object.</summary>
    internal static SafetensorsIndex Parse(string path, ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw SafetensorsHeader.Fail(path, "index is not valid UTF-8");
        var names = new List<string>();
        Dictionary<string, string>? weightMap = null;
        Dictionary<string, string>? metadata = null;
        try
        {
            var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw SafetensorsHeader.Fail(path, $"index must be a JSON object, found {SafetensorsHeader.Describe(ref r)}");
            while (SafetensorsHeader.Next(ref r, path) != JsonTokenType.EndObject)
            {
                string key = r.GetString()!;
                SafetensorsHeader.Next(ref r, path);
                if (key == "weight_map")
                {
                    if (weightMap is not null) throw SafetensorsHeader.Fail(path, "duplicate key 'weight_map'");
                    weightMap = SafetensorsHeader.ReadStringMap(ref r, path, "weight_map");
                    names.AddRange(weightMap.Keys);
                }
                else if (key == "metadata")
                {
                    if (metadata is not null) throw SafetensorsHeader.Fail(path, "duplicate key 'metadata'");
                    metadata = ReadLooseMap(ref r, path, json);
                }
                else
                {
                    r.Skip();
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw SafetensorsHeader.Fail(path, $"index is not valid JSON: {e.Message}", e);
        }
        if (weightMap is null) throw SafetensorsHeader.Fail(path, "index has no 'weight_map'");
        foreach (var (tensor, file) in weightMap)
        {
            if (file.Length == 0 || System.IO.Path.IsPathRooted(file) || file.Replace('\\', '/').Split('/').Contains(".."))
            {
                throw SafetensorsHeader.Fail(path, $"tensor '{tensor}' maps to shard \"{file}\", which is not a file name inside the index's folder");
            }
        }
        return new SafetensorsIndex(path, names, weightMap, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    /// <summary>An object whose string values are kept as strings and other values as their raw JSON text.</summary>
    private static Dictionary<string, string> ReadLooseMap(ref Utf8JsonReader r, string path, ReadOnlySpan<byte> json)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw SafetensorsHeader.Fail(path, $"'metadata' must be an object, found {SafetensorsHeader.Describe(ref r)}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (SafetensorsHeader.Next(ref r, path) != JsonTokenType.EndObject)
        {
            string key = r.GetString()!;
            SafetensorsHeader.Next(ref r, path);
            string value;
            if (r.TokenType == JsonTokenType.String)
            {
                value = r.GetString()!;
            }
            else
            {
                int start = (int)r.TokenStartIndex;
                r.Skip();
                value = Encoding.UTF8.GetString(json[start..(int)r.BytesConsumed]);
            }
            if (!map.TryAdd(key, value)) throw SafetensorsHeader.Fail(path, $"metadata: duplicate key '{key}'");
        }
        return map;
    }
}

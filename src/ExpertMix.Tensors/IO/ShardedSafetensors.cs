// Reads a sharded safetensors checkpoint through its index, opening each shard file on first use.
namespace ExpertMix.Tensors.IO;

/// <summary>
/// A sharded checkpoint: <see cref="SafetensorsIndex"/> plus lazily opened <see cref="SafetensorsFile"/> shards.
/// Errors name the index file, the tensor and the shard involved.
/// </summary>
public sealed class ShardedSafetensors : ISafetensorsSource
{
    private readonly Dictionary<string, SafetensorsFile> _shards = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _disposed;

    private ShardedSafetensors(SafetensorsIndex index) => Index = index;

    /// <summary>Reads the index at <paramref name="indexPath"/>; shards are opened when first needed.</summary>
    /// <exception cref="InvalidDataException">The index is malformed.</exception>
    public static ShardedSafetensors Open(string indexPath) => new(SafetensorsIndex.Load(indexPath));

    /// <summary>The parsed index.</summary>
    public SafetensorsIndex Index { get; }

    /// <inheritdoc/>
    public string Path => Index.Path;

    /// <inheritdoc/>
    public IReadOnlyList<string> Names => Index.Names;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => Index.Metadata;

    /// <inheritdoc/>
    public bool Contains(string name) => Index.WeightMap.ContainsKey(name);

    /// <inheritdoc/>
    public TensorInfo GetInfo(string name) => Locate(name).Shard.GetInfo(name);

    /// <inheritdoc/>
    public Tensor GetTensor(string name) => Locate(name).Shard.GetTensor(name);

    /// <summary>The open shard file <paramref name="file"/> (a name from <see cref="SafetensorsIndex.ShardFiles"/>).</summary>
    public SafetensorsFile GetShard(string file) => OpenShard(file, tensor: null);

    private (SafetensorsFile Shard, string File) Locate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Index.WeightMap.TryGetValue(name, out var file))
        {
            throw new KeyNotFoundException($"{Path}: no tensor named '{name}' in the weight_map ({Index.Names.Count} tensors)");
        }
        var shard = OpenShard(file, name);
        if (!shard.Contains(name))
        {
            throw new InvalidDataException($"{Path}: tensor '{name}' is mapped to shard '{file}', but that shard has no such tensor");
        }
        return (shard, file);
    }

    private SafetensorsFile OpenShard(string file, string? tensor)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_shards.TryGetValue(file, out var open)) return open;
            string full = Index.ShardPath(file);
            string forWhat = tensor is null ? "" : $"tensor '{tensor}' is mapped to ";
            if (!File.Exists(full))
            {
                throw new InvalidDataException($"{Path}: {forWhat}shard '{file}', which does not exist ({full})");
            }
            try
            {
                open = SafetensorsFile.Open(full);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{Path}: {forWhat}shard '{file}', which is malformed: {e.Message}", e);
            }
            _shards.Add(file, open);
            return open;
        }
    }

    /// <summary>Closes the open shards; tensors already handed out stay valid.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var s in _shards.Values) s.Dispose();
            _shards.Clear();
        }
    }
}

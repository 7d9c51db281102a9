// Reads a safetensors file: memory-mapped, validated up front, zero-copy read-only tensors.
// Note: the design doc puts file IO in ExpertMix.Models; issue #2 asks for safetensors IO in the engine, so it lives here.
namespace ExpertMix.Tensors.IO;

/// <summary>
/// A memory-mapped safetensors file. <see cref="Open"/> maps the file read-only and validates the entire header
/// against the file size (see <c>SafetensorsHeader</c>) before any tensor byte is read; tensors are then served
/// lazily and without copying by <see cref="GetTensor"/>.
/// </summary>
/// <remarks>
/// Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>, then the data
/// section; offsets are relative to byte 8 + N. Lifetime: the mapping is reference-counted; this object holds one
/// reference and every tensor from <see cref="GetTensor"/> holds one, so the file is unmapped only when the last
/// of them is disposed. Thread-safety: all members may be called concurrently.
/// </remarks>
public sealed unsafe class SafetensorsFile : ISafetensorsSource
{
    private readonly SharedMapping _mapping;
    private readonly SafetensorsHeader _header;
    private readonly string[] _names;
    private int _disposed;

    private SafetensorsFile(string path, SharedMapping mapping, SafetensorsHeader header)
    {
        Path = path;
        _mapping = mapping;
        _header = header;
        _names = header.Tensors.Select(t => t.Name).ToArray();
    }

    /// <summary>Maps and validates <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message starts with the path.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var mapping = SharedMapping.Open(path, 8, "a safetensors file needs at least 8 (the header length)");
        try
        {
            var head = new ReadOnlySpan<byte>(mapping.Base, (int)Math.Min(mapping.Length, int.MaxValue));
            var header = SafetensorsHeader.Parse(path, head, mapping.Length);
            return new SafetensorsFile(path, mapping, header);
        }
        catch
        {
            mapping.Release();
            throw;
        }
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>File size in bytes.</summary>
    public long FileLength => _mapping.Length;

    /// <summary>Length N of the JSON header (including padding).</summary>
    public long HeaderLength => _header.HeaderLength;

    /// <summary>Offset of the data section in the file (8 + N).</summary>
    public long DataOffset => 8 + _header.HeaderLength;

    /// <inheritdoc/>
    public IReadOnlyList<string> Names => _names;

    /// <summary>All tensor entries in header order.</summary>
    public IReadOnlyList<TensorInfo> Tensors => _header.Tensors;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>True once <see cref="Dispose"/> ran.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>True once the file is unmapped (this object and every tensor from it disposed).</summary>
    internal bool IsUnmapped => _mapping.IsUnmapped;

    /// <inheritdoc/>
    public bool Contains(string name) => _header.ByName.ContainsKey(name);

    /// <summary>The entry of <paramref name="name"/>, or false.</summary>
    public bool TryGetInfo(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorInfo? info) => _header.ByName.TryGetValue(name, out info);

    /// <inheritdoc/>
    public TensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_header.ByName.TryGetValue(name, out var info)) return info;
        throw new KeyNotFoundException($"{Path}: no tensor named '{name}' (the file has {_names.Length} tensors)");
    }

    /// <inheritdoc/>
    public Tensor GetTensor(string name)
    {
        var info = GetInfo(name);
        if (IsDisposed || !_mapping.TryAddRef()) throw new ObjectDisposedException(nameof(SafetensorsFile), $"{Path} was disposed");
        try
        {
            var storage = new ExternalStorage(_mapping.Base + info.FileOffset, info.DType, info.Numel, readOnly: true, owner: _mapping, onRelease: _mapping.Release);
            var dims = info.Shape.ToArray();
            return new Tensor(storage, dims, info.Shape.ContiguousStrides(), 0, addRef: false) { Name = name };
        }
        catch
        {
            _mapping.Release();
            throw;
        }
    }

    /// <summary>A copy of the raw bytes of <paramref name="name"/> (little-endian element bytes).</summary>
    public byte[] ReadBytes(string name)
    {
        var info = GetInfo(name);
        if (IsDisposed || !_mapping.TryAddRef()) throw new ObjectDisposedException(nameof(SafetensorsFile), $"{Path} was disposed");
        try
        {
            return new ReadOnlySpan<byte>(_mapping.Base + info.FileOffset, checked((int)info.ByteLength)).ToArray();
        }
        finally
        {
            _mapping.Release();
        }
    }

    /// <summary>Drops this object's reference on the mapping (idempotent); live tensors keep it mapped.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _mapping.Release();
    }

    /// <inheritdoc/>
    public override string ToString() => $"SafetensorsFile({Path}, {_names.Length} tensors)";
}

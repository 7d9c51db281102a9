// The read API shared by single-file and sharded safetensors checkpoints, and an opener for either.
// Note: the design doc puts file IO in ExpertMix.Models; issue #2 asks for safetensors IO in the engine, so it lives here.
namespace ExpertMix.Tensors.IO;

/// <summary>Named tensors stored in safetensors files (one file or a sharded checkpoint).</summary>
public interface ISafetensorsSource : IDisposable
{
    /// <summary>The file (or index file) this source was opened from.</summary>
    string Path { get; }

    /// <summary>All tensor names, in file (or index) order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> map (for sharded checkpoints: the index's <c>metadata</c>).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>True when a tensor named <paramref name="name"/> exists.</summary>
    bool Contains(string name);

    /// <summary>Dtype, shape and byte range of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="InvalidDataException">A file involved is malformed or missing (sharded).</exception>
    TensorInfo GetInfo(string name);

    /// <summary>
    /// A read-only, zero-copy tensor over the mapped file. The tensor keeps the mapping alive: disposing the
    /// source while tensors live is safe; the file is unmapped when the last of them is disposed.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    Tensor GetTensor(string name);
}

/// <summary>Opens whatever holds a checkpoint: a <c>.safetensors</c> file, an index json, or a directory.</summary>
public static class SafetensorsSource
{
    /// <summary>The single-file checkpoint name inside a model directory.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>
    /// Opens <paramref name="path"/>: a directory (its <c>model.safetensors</c>, else its
    /// <c>model.safetensors.index.json</c>), a <c>.json</c> index, or a safetensors file.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing loadable at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    public static ISafetensorsSource Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            string single = System.IO.Path.Combine(path, SingleFileName);
            if (File.Exists(single)) return SafetensorsFile.Open(single);
            string index = System.IO.Path.Combine(path, SafetensorsIndex.DefaultFileName);
            if (File.Exists(index)) return ShardedSafetensors.Open(index);
            throw new FileNotFoundException($"{path}: directory has neither {SingleFileName} nor {SafetensorsIndex.DefaultFileName}", path);
        }
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return ShardedSafetensors.Open(path);
        return SafetensorsFile.Open(path);
    }
}

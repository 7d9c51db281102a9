// Writes a file atomically: a temp file in the same folder, flushed to disk, then renamed over the target.
using System.Security.Cryptography;

namespace ExpertMix.Tensors.IO;

/// <summary>
/// Atomic replacement of a file: readers see either the old complete file or the new complete file, never a
/// partial one. On any failure the temp file is deleted and an existing target is left untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Runs <paramref name="write"/> on <c>path + ".tmp-&lt;random&gt;"</c>, flushes it to disk
    /// (<see cref="FileStream.Flush(bool)"/> with <c>true</c>), then moves it over <paramref name="path"/>.
    /// </summary>
    /// <exception cref="IOException">The folder does not exist or the disk is full; the target is unchanged.</exception>
    public static void Write(string path, Action<FileStream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // Best effort: the original exception is what matters.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}

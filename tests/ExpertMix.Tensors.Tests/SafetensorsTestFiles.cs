// Helpers for safetensors tests: temp folders and hand-built (possibly malformed) files.
using System.Buffers.Binary;
using System.Text;

namespace ExpertMix.Tensors.Tests;

/// <summary>A fresh temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "expertmix-st-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Builds raw safetensors bytes from header text and data.</summary>
internal static class RawSafetensors
{
    /// <summary>8-byte LE length of <paramref name="header"/> (or <paramref name="declaredLength"/>), the header bytes, the data.</summary>
    public static byte[] Build(byte[] header, byte[] data, ulong? declaredLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] Build(string header, int dataBytes, ulong? declaredLength = null)
    {
        var data = new byte[dataBytes];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + 1);
        return Build(Encoding.UTF8.GetBytes(header), data, declaredLength);
    }

    /// <summary>Writes the bytes to <paramref name="path"/> and returns it.</summary>
    public static string WriteTo(string path, byte[] bytes)
    {
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }
}

// A read-only memory mapping of a whole file, reference-counted so tensors can outlive the file object.
using System.IO.MemoryMappedFiles;

namespace ExpertMix.Tensors.IO;

/// <summary>
/// A read-only view of a whole file, acquired once. It starts with one reference (held by the opener, e.g.
/// <see cref="SafetensorsFile"/>); every zero-copy tensor storage takes another. Only the last
/// <see cref="Release"/> unmaps, so disposing the file object never pulls memory out from under live tensors.
/// </summary>
internal sealed unsafe class SharedMapping
{
    private MemoryMappedFile? _file;
    private MemoryMappedViewAccessor? _view;
    private int _refCount = 1;

    private SharedMapping(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        _file = file;
        _view = view;
        Base = basePointer;
        Length = length;
    }

    /// <summary>Address of file byte 0 (valid while a reference is held).</summary>
    public byte* Base { get; }

    /// <summary>File size in bytes at the time of mapping.</summary>
    public long Length { get; }

    /// <summary>
    /// Maps <paramref name="path"/> read-only. The length is taken from the same open handle that is mapped,
    /// so the size used for validation is the size mapped. Files shorter than <paramref name="minLength"/>
    /// (including empty files, which cannot be mapped) throw <see cref="InvalidDataException"/>:
    /// "PATH: file is L bytes; <paramref name="requirement"/>".
    /// </summary>
    public static SharedMapping Open(string path, long minLength, string requirement)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.None);
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long length = stream.Length;
            if (length < minLength)
            {
                throw new InvalidDataException($"{path}: file is {length} bytes; {requirement}");
            }
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            stream = null;
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new SharedMapping(file, view, p + view.PointerOffset, length);
        }
        catch
        {
            view?.Dispose();
            file?.Dispose();
            stream?.Dispose();
            throw;
        }
    }

    /// <summary>Takes a reference unless the mapping is already gone.</summary>
    public bool TryAddRef()
    {
        while (true)
        {
            int n = Volatile.Read(ref _refCount);
            if (n <= 0) return false;
            if (Interlocked.CompareExchange(ref _refCount, n + 1, n) == n) return true;
        }
    }

    /// <summary>Drops a reference; the last one unmaps the file.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refCount) != 0) return;
        var view = Interlocked.Exchange(ref _view, null);
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        Interlocked.Exchange(ref _file, null)?.Dispose();
    }

    /// <summary>True once the file was unmapped (tests).</summary>
    public bool IsUnmapped => Volatile.Read(ref _refCount) <= 0;
}

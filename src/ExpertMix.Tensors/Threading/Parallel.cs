// Deterministic parallel-for over ranges: fixed chunking, each output element written by exactly one thread.
namespace ExpertMix.Tensors;

/// <summary>Global engine settings.</summary>
public static class Engine
{
    private static int s_threads = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Worker threads used by kernels (default: processor count). Results do not depend on it.</summary>
    public static int Threads
    {
        get => s_threads;
        set => s_threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be ≥ 1");
    }
}

/// <summary>Range-splitting parallel loops used by kernels.</summary>
public static class Par
{
    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) split into at most
    /// <see cref="Engine.Threads"/> contiguous chunks of at least <paramref name="minChunk"/> items. The split depends
    /// only on the arguments, and each index is visited by exactly one call.
    /// </summary>
    public static void For(int count, int minChunk, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        int chunks = Math.Min(Engine.Threads, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        WorkerPool.Shared.Run(chunks, c =>
        {
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            if (end > start) body(start, end);
        });
    }

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) split into exactly
    /// min(<paramref name="chunks"/>, count) contiguous chunks (chunk c is [count·c/chunks, count·(c+1)/chunks)),
    /// claimed by at most <see cref="Engine.Threads"/> threads. The split depends only on the arguments.
    /// </summary>
    public static void ForThreads(int count, int chunks, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        chunks = Math.Clamp(chunks, 1, count);
        if (chunks == 1)
        {
            body(0, count);
            return;
        }
        WorkerPool.Shared.Run(chunks, c =>
        {
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            if (end > start) body(start, end);
        });
    }
}

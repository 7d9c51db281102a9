// Deterministic parallel-for over ranges: fixed chunking, each output element written by exactly one thread.
namespace ExpertMix.Tensors;

/// <summary>Global engine settings.</summary>
public static class Engine
{
    private static int s_threads = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Managed bytes a thread may allocate between the gen0 collections <see cref="GarbageBound.Step"/> runs (called once
    /// per model forward); default 8 MiB, 0 leaves collection timing to the runtime.
    /// </summary>
    public static long GarbageBudgetBytes { get; set; } = 8L << 20;

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

    /// <summary>
    /// Guided scheduling: calls <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in contiguous
    /// ranges claimed from a shared cursor by up to <see cref="Engine.Threads"/> threads. Each claim takes
    /// max(<paramref name="minChunk"/>, remaining ÷ (2·threads)) items, so ranges shrink towards the end and the threads
    /// finish within about one <paramref name="minChunk"/> of each other (a fixed split leaves one thread waiting for
    /// the other's last range). Which thread runs a range, and where ranges start, varies from run to run; use it only
    /// for bodies whose result per index does not depend on the range (each index visited by exactly one call).
    /// At most <paramref name="maxThreads"/> threads take part.
    /// </summary>
    public static void ForGuided(int count, int minChunk, int maxThreads, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        minChunk = Math.Max(1, minChunk);
        int threads = (int)Math.Min(Math.Min(Engine.Threads, Math.Max(1, maxThreads)), Math.Max(1, (count + (long)minChunk - 1) / minChunk));
        if (threads <= 1)
        {
            body(0, count);
            return;
        }
        var cursor = new GuidedCursor();
        WorkerPool.Shared.Run(threads, _ =>
        {
            while (cursor.TryClaim(count, minChunk, threads, out int start, out int end)) body(start, end);
        });
    }

    private sealed class GuidedCursor
    {
        private int _next;

        public bool TryClaim(int count, int minChunk, int threads, out int start, out int end)
        {
            while (true)
            {
                start = Volatile.Read(ref _next);
                if (start >= count)
                {
                    end = start;
                    return false;
                }
                int size = Math.Max(minChunk, (count - start) / (2 * threads));
                end = (int)Math.Min(count, (long)start + size);
                if (Interlocked.CompareExchange(ref _next, end, start) == start) return true;
            }
        }
    }
}

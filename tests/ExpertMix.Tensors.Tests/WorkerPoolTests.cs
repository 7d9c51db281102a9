// Par/WorkerPool: every chunk runs exactly once, never on more threads than Engine.Threads, exceptions surface.
using System.Collections.Concurrent;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public sealed class WorkerPoolTests : IDisposable
{
    private readonly int _threads = Engine.Threads;

    public void Dispose() => Engine.Threads = _threads;

    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 64)]
    [InlineData(2, 3)]
    [InlineData(3, 1000)]
    public void Every_chunk_runs_once_on_at_most_engine_threads_threads(int threads, int chunks)
    {
        Engine.Threads = threads;
        var seen = new int[chunks];
        var threadIds = new ConcurrentDictionary<int, byte>();
        for (int round = 0; round < 20; round++)
        {
            Array.Clear(seen);
            Par.ForThreads(chunks, chunks, (s, e) =>
            {
                threadIds.TryAdd(Environment.CurrentManagedThreadId, 0);
                for (int i = s; i < e; i++) Interlocked.Increment(ref seen[i]);
                Thread.SpinWait(200);
            });
            Assert.All(seen, c => Assert.Equal(1, c));
        }
        Assert.InRange(threadIds.Count, 1, threads);
    }

    [Fact]
    public void A_throwing_chunk_rethrows_the_original_exception_after_all_chunks_finish()
    {
        Engine.Threads = 2;
        int finished = 0;
        var e = Assert.Throws<InvalidOperationException>(() => Par.ForThreads(8, 8, (s, _) =>
        {
            Interlocked.Increment(ref finished);
            if (s == 3) throw new InvalidOperationException("chunk 3 failed");
        }));
        Assert.Equal("chunk 3 failed", e.Message);
        Assert.Equal(8, finished);
    }

    [Fact]
    public void Nested_parallel_loops_complete()
    {
        Engine.Threads = 2;
        long total = 0;
        Par.ForThreads(4, 4, (s, e) => Par.ForThreads(10, 10, (a, b) => Interlocked.Add(ref total, b - a)));
        Assert.Equal(40, total);
    }
}

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

    [Theory]
    [InlineData(1, 1000, 7, 8)]
    [InlineData(2, 0, 5, 8)]
    [InlineData(2, 1, 5, 8)]
    [InlineData(2, 9, 5, 8)]
    [InlineData(2, 100_000, 64, 8)]
    [InlineData(3, 12_345, 1, 8)]
    [InlineData(3, 12_345, 10, 1)]
    public void Guided_ranges_cover_every_index_once_and_shrink_towards_the_end(int threads, int count, int minChunk, int maxThreads)
    {
        Engine.Threads = threads;
        var seen = new int[count];
        var ranges = new ConcurrentBag<(int Start, int End)>();
        var threadIds = new ConcurrentDictionary<int, byte>();
        for (int round = 0; round < 10; round++)
        {
            Array.Clear(seen);
            ranges.Clear();
            Par.ForGuided(count, minChunk, maxThreads, (s, e) =>
            {
                threadIds.TryAdd(Environment.CurrentManagedThreadId, 0);
                ranges.Add((s, e));
                for (int i = s; i < e; i++) Interlocked.Increment(ref seen[i]);
                Thread.SpinWait(50);
            });
            Assert.All(seen, c => Assert.Equal(1, c));
            var sorted = ranges.OrderBy(r => r.Start).ToList();
            Assert.All(sorted, r => Assert.True(r.End > r.Start, $"empty range {r}"));
            // Every range but the last is at least minChunk long, and sizes never grow along the index space.
            for (int i = 0; i < sorted.Count - 1; i++)
            {
                int len = sorted[i].End - sorted[i].Start;
                Assert.True(len >= minChunk, $"range {sorted[i]} shorter than {minChunk}");
                Assert.True(sorted[i + 1].End - sorted[i + 1].Start <= len || i + 1 == sorted.Count - 1, $"range {sorted[i + 1]} longer than {sorted[i]}");
            }
            int parallel = Math.Min(Math.Min(threads, maxThreads), Math.Max(1, (count + minChunk - 1) / minChunk));
            if (count > 0 && parallel == 1) Assert.Equal([(0, count)], sorted);
            if (parallel > 1 && count >= 100 * minChunk) Assert.True(sorted.Count > 2 * parallel, $"{sorted.Count} ranges: expected guided claims, not one per thread");
        }
        Assert.InRange(threadIds.Count, count == 0 ? 0 : 1, Math.Min(threads, maxThreads));
    }

    [Fact]
    public void A_throwing_guided_range_rethrows_after_the_other_threads_finish_their_claims()
    {
        Engine.Threads = 2;
        long visited = 0;
        var e = Assert.Throws<InvalidOperationException>(() => Par.ForGuided(10_000, 10, 8, (s, end) =>
        {
            if (s == 0) throw new InvalidOperationException("first range failed");
            Interlocked.Add(ref visited, end - s);
        }));
        Assert.Equal("first range failed", e.Message);
        Assert.InRange(visited, 1, 10_000 - 1);
    }
}

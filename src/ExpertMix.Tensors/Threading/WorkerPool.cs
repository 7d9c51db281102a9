// Persistent spinning worker threads for kernel parallel-fors: a decode step issues hundreds of small parallel
// kernels, and handing each to the .NET thread pool costs tens of microseconds.
using System.Runtime.ExceptionServices;

namespace ExpertMix.Tensors;

/// <summary>
/// A fixed set of background worker threads that run the chunks of one parallel-for at a time. The caller takes
/// part (it runs chunks too), workers spin briefly for the next job before blocking, and chunks are claimed from a
/// shared counter. Which thread runs a chunk varies; what a chunk computes does not, so kernels stay deterministic.
/// Nested or concurrent parallel-fors (the pool already busy) fall back to <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>.
/// </summary>
internal sealed class WorkerPool
{
    /// <summary>Spin iterations a worker waits for the next job before it blocks (tens of microseconds).</summary>
    private const int SpinIterations = 4000;

    private readonly object _gate = new();
    private Thread[] _workers = [];
    private int _busy;
    private long _generation;
    private int _sleepers;

    // The current job, published before _generation is bumped. A fresh object per job, so a worker still finishing
    // its look at an old job can only find that job's chunks all claimed.
    private Job? _current;

    private sealed class Job(Action<int> body, int chunks, int helpers)
    {
        public readonly Action<int> Body = body;
        public readonly int Chunks = chunks;
        public readonly int Helpers = helpers;
        public int Next;
        public int Pending = chunks;
        public Exception? Error;
    }

    /// <summary>The process-wide pool.</summary>
    public static WorkerPool Shared { get; } = new();

    /// <summary>Runs <paramref name="job"/>(c) for every c in [0, <paramref name="chunks"/>) on up to min(chunks, <see cref="Engine.Threads"/>) threads and returns when all are done.</summary>
    /// <remarks>If chunks throw, the first exception is rethrown here (with its stack) after every chunk has finished.</remarks>
    public void Run(int chunks, Action<int> job)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, job);
            return;
        }
        try
        {
            // At most Engine.Threads threads work on a job (the caller plus helpers); extra chunks are claimed as threads free up.
            int helpers = Math.Min(chunks, Engine.Threads) - 1;
            EnsureWorkers(helpers);
            var current = new Job(job, chunks, helpers);
            Volatile.Write(ref _current, current);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (_gate) Monitor.PulseAll(_gate);
            }
            Work(current);
            var spin = new SpinWait();
            while (Volatile.Read(ref current.Pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref _current, null); // do not keep the job's captures alive
            if (current.Error is { } e) ExceptionDispatchInfo.Throw(e);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void Work(Job job)
    {
        int c;
        while ((c = Interlocked.Increment(ref job.Next) - 1) < job.Chunks)
        {
            try
            {
                job.Body(c);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref job.Error, e, null);
            }
            Interlocked.Decrement(ref job.Pending);
        }
    }

    private void EnsureWorkers(int count)
    {
        if (_workers.Length >= count) return;
        var grown = new Thread[count];
        Array.Copy(_workers, grown, _workers.Length);
        for (int i = _workers.Length; i < count; i++)
        {
            int index = i;
            grown[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"expertmix-worker-{i}" };
            grown[i].Start();
        }
        _workers = grown;
    }

    private void Loop(int index)
    {
        long seen = Volatile.Read(ref _generation);
        while (true)
        {
            seen = WaitForJob(seen);
            // Only the job's helpers join it (never more threads than Engine.Threads, whatever the chunk count).
            if (Volatile.Read(ref _current) is { } job && index < job.Helpers) Work(job);
        }
    }

    private long WaitForJob(long seen)
    {
        for (int i = 0; i < SpinIterations; i++)
        {
            long g = Volatile.Read(ref _generation);
            if (g != seen) return g;
            Thread.SpinWait(8);
        }
        lock (_gate)
        {
            Interlocked.Increment(ref _sleepers);
            try
            {
                long g;
                while ((g = Interlocked.Read(ref _generation)) == seen) Monitor.Wait(_gate);
                return g;
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
        }
    }
}

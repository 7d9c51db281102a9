// GarbageBound: a thread that allocates past Engine.GarbageBudgetBytes gets gen0 collections at that pace.
namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public sealed class GarbageBoundTests
{
    [Fact]
    public void Step_collects_gen0_each_time_the_thread_has_allocated_the_budget()
    {
        long saved = Engine.GarbageBudgetBytes;
        try
        {
            Engine.GarbageBudgetBytes = 1 << 20;
            int before = GC.CollectionCount(0);
            long sink = 0;
            for (int i = 0; i < 256; i++)   // 16 MiB of short-lived 64 KiB arrays (below the large-object threshold)
            {
                var garbage = new byte[64 * 1024];
                sink += garbage.Length;
                GarbageBound.Step();
            }
            // The first collection may wait for a budget armed earlier on this thread (≤ 8 MiB); the rest come every 1 MiB.
            Assert.InRange(GC.CollectionCount(0) - before, 7, 256);
            Assert.Equal(16L << 20, sink);
        }
        finally
        {
            Engine.GarbageBudgetBytes = saved;
        }
    }
}

// Cached decoding frees its intermediates itself: after warm-up a decode step takes no new buffer from the allocator.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Tests;

[CollectionDefinition(nameof(SteadyStateDecodeTests), DisableParallelization = true)]
public sealed class SerialCollection
{
}

[Collection(nameof(SteadyStateDecodeTests))]
public class SteadyStateDecodeTests
{
    public static TheoryData<string> Models => TinyModels.All;

    [Theory]
    [MemberData(nameof(Models))]
    public void Decode_steps_after_warm_up_allocate_no_new_buffers(string name)
    {
        using var model = CausalLm.Load(TinyModels.Dir(name));
        using var cache = model.CreateCache(1, 40);
        var ctx = new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition };
        using (var scope = TensorScope.Begin())
        {
            using var prompt = ModelRunner.Ids([[3, 17, 200, 45, 9, 120]]);
            model.Forward(prompt, ctx);
        }
        long before = 0;
        for (int step = 0; step < 20; step++)
        {
            if (step == 8) before = BufferPool.Shared.Allocations;
            using var one = ModelRunner.Ids([[(long)(step * 13 % 256)]]);
            using var logits = model.Forward(one, ctx);   // no caller scope: the model must free its own intermediates
        }
        Assert.Equal(before, BufferPool.Shared.Allocations);
    }
}

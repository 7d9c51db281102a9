// Run serially (global pool counter, global thread count): decode frees its own intermediates; results do not depend on the thread count.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Tests;

[CollectionDefinition(nameof(DecodeResourceTests), DisableParallelization = true)]
public sealed class SerialCollection
{
}

[Collection(nameof(DecodeResourceTests))]
public class DecodeResourceTests
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

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-gpt2")]
    public void Logits_are_bit_identical_for_one_and_three_threads(string name)
    {
        using var model = CausalLm.Load(TinyModels.Dir(name));
        var ids = TinyModels.Reference(name)["input_ids"].ToInt64();
        int saved = Engine.Threads;
        try
        {
            Engine.Threads = 1;
            var one = ModelRunner.Logits(model, ids);
            Engine.Threads = 3;
            var three = ModelRunner.Logits(model, ids);
            ExpertMix.Testing.TensorAssert.BitEqual(one, three, $"{name} logits, 1 vs 3 threads");
        }
        finally
        {
            Engine.Threads = saved;
        }
    }
}

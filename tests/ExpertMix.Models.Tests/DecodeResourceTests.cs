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

[Collection(nameof(DecodeResourceTests))]
public class ForwardMemoryTests
{
    private const int Tokens = 64;
    private const int Hidden = 64;

    public static TheoryData<string> Architectures => new() { "llama", "gpt2" };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void An_inference_forward_frees_attention_intermediates_before_the_mlp_runs(string architecture)
    {
        using var model = CausalLm.BuildRandom(OneLayer(architecture), DType.F32, seed: 5);
        long graphPeak = PeakActivationBytes(model, ForwardMode.Train, grad: true);   // a recorded graph keeps every intermediate
        long inferencePeak = PeakActivationBytes(model, ForwardMode.Eval, grad: false);
        // q, k, v, the rotated/merged copies, the attention output and the normed input: at least six [T, C] f32 buffers.
        long sixHiddenStates = 6 * BufferPool.BucketSize(4L * Tokens * Hidden);
        Assert.True(inferencePeak <= graphPeak - sixHiddenStates, $"inference peak {inferencePeak} B vs graph peak {graphPeak} B");
    }

    private static long PeakActivationBytes(ICausalLm model, ForwardMode mode, bool grad)
    {
        var ids = new long[Tokens];
        for (int i = 0; i < Tokens; i++) ids[i] = i * 7 % 256;
        using var scope = TensorScope.Begin();
        using var input = ModelRunner.Ids([ids]);
        var ctx = new ForwardContext { Mode = mode, Logits = LogitsSelection.LastPosition };
        using var gradMode = grad ? Autograd.EnableGrad() : Autograd.NoGrad();
        BufferPool.Shared.ResetPeakRented();
        long before = BufferPool.Shared.RentedBytes;
        using var logits = model.Forward(input, ctx);
        return BufferPool.Shared.PeakRentedBytes - before;
    }

    private static HfConfigJson OneLayer(string architecture) => architecture == "gpt2"
        ? new HfConfigJson
        {
            Architectures = ["GPT2LMHeadModel"], ModelType = "gpt2", VocabSize = 256, NEmbd = Hidden, NLayer = 1, NHead = 4,
            NPositions = 128, NCtx = 128, LayerNormEpsilon = 1e-5, ActivationFunction = "gelu_new",
        }
        : new HfConfigJson
        {
            Architectures = ["LlamaForCausalLM"], ModelType = "llama", VocabSize = 256, HiddenSize = Hidden, IntermediateSize = 4 * Hidden,
            NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 4, MaxPositionEmbeddings = 128, RmsNormEps = 1e-5,
            RopeTheta = 10000, TieWordEmbeddings = true, HiddenAct = "silu",
        };
}

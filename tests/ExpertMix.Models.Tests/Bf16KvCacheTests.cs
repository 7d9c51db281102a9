// A bf16 KV cache: half the bytes, decode logits within bf16 rounding of the f32 cache's, the same greedy story.
using ExpertMix.Tensors;

namespace ExpertMix.Models.Tests;

public class Bf16KvCacheTests
{
    public static TheoryData<string> Models => TinyModels.All;

    [Theory]
    [MemberData(nameof(Models))]
    public void Decode_with_a_bf16_cache_stays_within_bf16_rounding_of_the_f32_cache(string name)
    {
        using var model = CausalLm.Load(TinyModels.Dir(name));
        long[] prompt = [3, 17, 200, 45, 9, 120];
        using (var f32 = model.CreateCache(1, 32))
        using (var bf16 = model.CreateCache(1, 32, DType.BF16))
        {
            Assert.Equal(f32.Bytes, 2 * bf16.Bytes);
        }
        var (tokens, exact) = ModelRunner.GreedyCachedWithLogits(model, prompt, 12);
        // Teacher-force the f32 run's tokens through a bf16 cache so every step sees the same history.
        var (_, rounded) = TeacherForced(model, prompt, tokens, DType.BF16);
        double worst = 0, scale = 0;
        for (int i = 0; i < exact.Count; i++)
        {
            worst = Math.Max(worst, ModelRunner.MaxAbsDiff(exact[i], rounded[i]));
            foreach (var x in exact[i]) scale = Math.Max(scale, Math.Abs(x));
        }
        Assert.True(worst > 0, $"{name}: a bf16 cache gave bit-identical logits; the keys/values were not rounded");
        Assert.True(worst <= 0.01 * scale, $"{name}: max |Δlogit| {worst:g4} over 12 steps against logit scale {scale:g4}");
    }

    [Fact]
    public void A_bf16_cache_rejects_other_storage_types()
    {
        using var model = CausalLm.Load(TinyModels.Dir("tiny-llama"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateCache(1, 8, DType.F16));
        Assert.Contains("F32 or BF16", e.Message);
    }

    private static (long[] Tokens, List<float[]> Logits) TeacherForced(ICausalLm model, long[] prompt, long[] tokens, DType cacheDType)
    {
        using var cache = model.CreateCache(1, prompt.Length + tokens.Length, cacheDType);
        var ctx = new Nn.ForwardContext { Cache = cache, Logits = Nn.LogitsSelection.LastPosition };
        var rows = new List<float[]>();
        long[] next = prompt;
        foreach (long tok in tokens)
        {
            using var scope = TensorScope.Begin();
            using var input = ModelRunner.Ids([next]);
            using var logits = model.Forward(input, ctx);
            rows.Add(logits.Span.ToArray());
            next = [tok];
        }
        return (tokens, rows);
    }
}

// X-LoRA generation (spec §10 "Generation"): the dual KV cache equals full recomputation at every step, also for a
// left-padded batch; cached scalings logs equal the no-cache λ; freeze-after-k; the generator runs X-LoRA unchanged.
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraGenerationTests
{
    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void Dual_cache_decoding_equals_no_cache_recomputation_at_every_step_for_a_left_padded_batch(string model)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { LayerwiseScalings = true, ScalingPassValue = 0.5f, TopKLora = 2 });
        long[][] prompts = [[3, 17, 200, 45, 9, 120, 77], [250, 33, 64, 128]];
        int len = prompts.Max(p => p.Length), steps = 6, b = prompts.Length, v = xl.Info.VocabSize;
        var rows = prompts.Select(p => Enumerable.Repeat(0L, len - p.Length).Concat(p).ToList()).ToArray();
        var mask = prompts.Select(p => Enumerable.Repeat(0, len - p.Length).Concat(Enumerable.Repeat(1, p.Length)).ToList()).ToArray();
        using var cache = xl.CreateCache(b, len + steps);
        long[] input = [.. rows.SelectMany(r => r)];
        for (int step = 0; step <= steps; step++)
        {
            using var scope = TensorScope.Begin();
            int s = rows[0].Count;
            var maskTensor = Tensor.FromInts([.. mask.SelectMany(m => m)], new Shape(b, s));
            var cached = xl.Forward(XLoraFixtures.Ids(input, b), new ForwardContext { Cache = cache, AttentionMask = maskTensor, Logits = LogitsSelection.LastPosition }).ToArray();
            var full = xl.Forward(XLoraFixtures.Ids([.. rows.SelectMany(r => r)], b), new ForwardContext { AttentionMask = maskTensor, Logits = LogitsSelection.LastPosition }).ToArray();
            TensorAssert.Close(full, cached, 1e-4, what: $"{model} step {step}");
            for (int r = 0; r < b; r++)
            {
                long next = ArgMax(cached.AsSpan(r * v, v));
                Assert.Equal(ArgMax(full.AsSpan(r * v, v)), next);
                rows[r].Add(next);
                mask[r].Add(1);
            }
            input = [.. rows.Select(r => r[^1])];
        }
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void The_cached_scalings_log_equals_the_no_cache_scalings_of_the_whole_sequence(string model)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { LayerwiseScalings = true });
        long[] seq = [3, 17, 200, 45, 9, 120, 77, 5, 250];
        xl.ScalingsLog.Enabled = true;
        using (var cache = xl.CreateCache(1, seq.Length))
        {
            using var scope = TensorScope.Begin();
            xl.Forward(XLoraFixtures.Ids(seq[..5]), new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition });
            for (int t = 5; t < seq.Length; t++) xl.Forward(XLoraFixtures.Ids([seq[t]]), new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition });
        }
        var entries = xl.ScalingsLog.Entries;
        Assert.Equal([5, 1, 1, 1, 1], entries.Select(e => e.Tokens));
        Assert.Equal([0, 5, 6, 7, 8], entries.Select(e => e.PastLength));
        Assert.Equal(seq, entries.SelectMany(e => e.TokenIds).Select(i => (long)i));
        float[] logged = [.. entries.SelectMany(e => e.Values)];
        using var s2 = TensorScope.Begin();
        var expected = xl.Scalings(XLoraFixtures.Ids(seq), new ForwardContext()).ToArray();
        TensorAssert.Close(expected, logged, 1e-5, what: "cached log vs no-cache λ");
        xl.ScalingsLog.Enabled = false;
        XLoraFixtures.Logits(xl, seq);
        Assert.Equal(5, xl.ScalingsLog.Entries.Count);
    }

    [Fact]
    public void Freeze_after_k_keeps_the_scalings_constant_after_k_generated_tokens()
    {
        using var xl = XLoraFixtures.Create("tiny-llama", c => c with { LayerwiseScalings = true }, new XLoraRuntimeOptions { FreezeScalingsAfter = 2 });
        xl.ScalingsLog.Enabled = true;
        using var cache = xl.CreateCache(1, 16);
        using var scope = TensorScope.Begin();
        xl.Forward(XLoraFixtures.Ids([3, 17, 200, 45]), new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition });
        foreach (long id in new long[] { 9, 120, 77, 5, 250 }) xl.Forward(XLoraFixtures.Ids([id]), new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition });
        var e = xl.ScalingsLog.Entries;
        Assert.NotEqual(e[1].Values, e[2].Values);          // decode steps 1 and 2 compute fresh scalings
        Assert.Equal(e[2].Values, e[3].Values);             // from step 3 on the last ones are reused
        Assert.Equal(e[2].Values, e[5].Values);
        Assert.True(cache.Companion!.Length < cache.Length, "the scaling pass is skipped once frozen");
    }

    [SkippableFact]
    public void The_generator_runs_x_lora_and_the_dual_cache_gives_the_tokens_of_full_recomputation()
    {
        string dir = SharedData.Require("models/stories260K");
        var tokenizer = Tokenizer.FromDirectory(dir);
        var options = new GenerationOptions { MaxNewTokens = 12, EosIds = [] };
        IReadOnlyList<int> Run(XLoraCacheMode mode)
        {
            var lm = CausalLm.Load(dir, new LoadOptions(DType: DTypePolicy.F32));
            var experts = new[] { XLoraFixtures.RandomExpert(lm, "a", 4, 1), XLoraFixtures.RandomExpert(lm, "b", 2, 2) };
            var config = new XLoraConfig { HiddenSize = lm.Info.HiddenSize, Adapters = [new("a", "a"), new("b", "b")], LayerwiseScalings = true };
            using var xl = new XLoraModel(lm, config, experts, null, new XLoraRuntimeOptions { Cache = mode }, XLoraGateInit.Default, 3);
            var generator = new Generator(xl, tokenizer);
            var tokens = generator.Generate("Once upon a time", options).TokenIds;
            Assert.Equal(tokens, generator.Generate("Once upon a time", options).TokenIds);   // no state leaks between calls
            Assert.Empty(xl.ScalingsLog.Entries);                                             // the log grows only when enabled
            return tokens;
        }
        var dual = Run(XLoraCacheMode.Dual);
        Assert.Equal(12, dual.Count);
        Assert.Equal(Run(XLoraCacheMode.None), dual);
    }

    private static long ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}

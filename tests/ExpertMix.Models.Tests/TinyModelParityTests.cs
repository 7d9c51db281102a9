// Tiny random GPT-2 / Llama (GQA, llama3 RoPE, sharded) / Qwen2 (bias, bf16) / Qwen3 (q/k norm) / Mistral vs PyTorch.
using ExpertMix.Nn;
using ExpertMix.Testing;
using Xunit.Abstractions;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Tests;

public class TinyModelParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => TinyModels.All;

    [Theory]
    [MemberData(nameof(Models))]
    public void Logits_match_the_pytorch_golden(string name)
    {
        var golden = TinyModels.Reference(name);
        using var model = CausalLm.Load(TinyModels.Dir(name), LoadOptions.Strict);
        Assert.Empty(model.Info.Warnings);
        var actual = ModelRunner.Logits(model, golden["input_ids"].ToInt64());
        TensorAssert.Close(golden["logits"].Data, actual, Tolerances.TinyLogitsAbs, 0, $"{name} logits [16, 256]");
        output.WriteLine($"{name}: max |logits − torch| = {ModelRunner.MaxAbsDiff(golden["logits"].Data, actual):g3}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Greedy_continuation_matches_the_pytorch_golden_with_and_without_cache(string name)
    {
        var golden = TinyModels.Reference(name);
        using var model = CausalLm.Load(TinyModels.Dir(name));
        long[] prompt = golden["prompt_ids"].ToInt64(), expected = golden["greedy_ids"].ToInt64();
        Assert.Equal(expected, ModelRunner.GreedyRecompute(model, prompt, expected.Length));
        Assert.Equal(expected, ModelRunner.GreedyCached(model, prompt, expected.Length));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Kv_cached_incremental_decoding_equals_full_recompute(string name)
    {
        var golden = TinyModels.Reference(name);
        using var model = CausalLm.Load(TinyModels.Dir(name));
        long[] ids = golden["input_ids"].ToInt64();
        var full = ModelRunner.Logits(model, ids);
        int v = model.Info.VocabSize;
        using var cache = model.CreateCache(1, ids.Length);
        var ctx = new ForwardContext { Cache = cache };
        int[] chunks = [5, 1, 3, 1, 1, 4, 1];
        int at = 0;
        foreach (int n in chunks)
        {
            using var input = ModelRunner.Ids([ids[at..(at + n)]]);
            using var logits = model.Forward(input, ctx);
            TensorAssert.Close(full.AsSpan(at * v, n * v), logits.ToArray(), Tolerances.TinyLogitsAbs, 0, $"{name} cached logits of positions [{at}, {at + n})");
            at += n;
        }
        Assert.Equal(ids.Length, cache.Length);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Left_padded_batch_equals_each_sequence_alone_in_prefill_and_cached_decode(string name)
    {
        var golden = TinyModels.Reference(name);
        using var model = CausalLm.Load(TinyModels.Dir(name));
        int v = model.Info.VocabSize;
        long[] a = golden["input_ids"].ToInt64()[..12], b = golden["prompt_ids"].ToInt64();
        int pad = a.Length - b.Length;
        long[] bPadded = [.. Enumerable.Repeat(0L, pad), .. b];
        float[] mask = [.. Enumerable.Repeat(1f, a.Length), .. Enumerable.Repeat(0f, pad), .. Enumerable.Repeat(1f, b.Length)];

        const int steps = 3;
        using var cache = model.CreateCache(2, a.Length + steps);
        using var maskT = Tensor.FromArray(mask, new Shape(2, a.Length));
        using var input = ModelRunner.Ids([a, bPadded]);
        using var logits = model.Forward(input, new ForwardContext { Cache = cache, AttentionMask = maskT });
        var batch = logits.ToArray();
        var aloneA = ModelRunner.Logits(model, a);
        var aloneB = ModelRunner.Logits(model, b);
        TensorAssert.Close(aloneA, batch.AsSpan(0, a.Length * v), Tolerances.TinyLogitsAbs, 0, $"{name} row 0 (unpadded)");
        TensorAssert.Close(aloneB, batch.AsSpan((a.Length + pad) * v, b.Length * v), Tolerances.TinyLogitsAbs, 0, $"{name} row 1 (left-padded by {pad})");

        // decode: feed each row's own next tokens; compare with the same tokens appended to each sequence alone.
        var seqA = a.ToList();
        var seqB = b.ToList();
        var maskList = mask.ToList();
        for (int s = 0; s < steps; s++)
        {
            long na = 10 + s, nb = 20 + s;
            seqA.Add(na);
            seqB.Add(nb);
            int len = a.Length + s + 1;
            var m = new float[2 * len];
            for (int j = 0; j < len; j++)
            {
                m[j] = 1;
                m[len + j] = j < pad ? 0 : 1;
            }
            using var mt = Tensor.FromArray(m, new Shape(2, len));
            using var step = ModelRunner.Ids([[na], [nb]]);
            using var stepLogits = model.Forward(step, new ForwardContext { Cache = cache, AttentionMask = mt, Logits = LogitsSelection.LastPosition });
            var got = stepLogits.ToArray();
            var refA = ModelRunner.Logits(model, [.. seqA]);
            var refB = ModelRunner.Logits(model, [.. seqB]);
            TensorAssert.Close(refA.AsSpan((seqA.Count - 1) * v, v), got.AsSpan(0, v), Tolerances.TinyLogitsAbs, 0, $"{name} decode step {s} row 0");
            TensorAssert.Close(refB.AsSpan((seqB.Count - 1) * v, v), got.AsSpan(v, v), Tolerances.TinyLogitsAbs, 0, $"{name} decode step {s} row 1");
        }
    }

    [Theory]
    [InlineData("tiny-gpt2")]
    [InlineData("tiny-qwen2")]
    public void Prepacked_weights_give_bit_identical_logits(string name)
    {
        var ids = TinyModels.Reference(name)["input_ids"].ToInt64();
        using var plain = CausalLm.Load(TinyModels.Dir(name));
        using var packed = CausalLm.Load(TinyModels.Dir(name), new LoadOptions(Packing: WeightPacking.Prefill));
        TensorAssert.BitEqual(ModelRunner.Logits(plain, ids), ModelRunner.Logits(packed, ids), $"{name} packed vs unpacked");
    }

    [Fact]
    public void F16_weights_are_kept_in_f16_and_compute_like_their_f32_widening()
    {
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-f16-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.Copy(Path.Combine(TinyModels.Dir("tiny-qwen3"), "config.json"), Path.Combine(dir, "config.json"));
            using (var src = Tensors.IO.SafetensorsFile.Open(Path.Combine(TinyModels.Dir("tiny-qwen3"), "model.safetensors")))
            {
                var half = src.Names.Select(n =>
                {
                    using var t = src.GetTensor(n);
                    return (n, t.To(DType.F16));
                }).ToList();
                Tensors.IO.SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), half);
                foreach (var (_, t) in half) t.Dispose();
            }
            using var kept = CausalLm.Load(dir);
            using var widened = CausalLm.Load(dir, new LoadOptions(DType: DTypePolicy.F32));
            Assert.Equal(DType.F16, kept.Info.DType);
            var ids = TinyModels.Reference("tiny-qwen3")["input_ids"].ToInt64();
            TensorAssert.Close(ModelRunner.Logits(widened, ids), ModelRunner.Logits(kept, ids), 1e-5, 0, "f16 kept vs widened");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bf16_checkpoint_keeps_its_dtype_unless_f32_is_asked_and_both_match_the_golden()
    {
        var golden = TinyModels.Reference("tiny-qwen2");
        using var kept = CausalLm.Load(TinyModels.Dir("tiny-qwen2"));
        using var widened = CausalLm.Load(TinyModels.Dir("tiny-qwen2"), new LoadOptions(DType: DTypePolicy.F32));
        Assert.Equal(DType.BF16, kept.Info.DType);
        Assert.All(kept.NamedParameters(), p => Assert.Equal(DType.BF16, p.Param.DType));
        Assert.All(widened.NamedParameters(), p => Assert.Equal(DType.F32, p.Param.DType));
        var ids = golden["input_ids"].ToInt64();
        TensorAssert.Close(golden["logits"].Data, ModelRunner.Logits(kept, ids), Tolerances.TinyLogitsAbs, 0, "bf16 kept");
        TensorAssert.Close(golden["logits"].Data, ModelRunner.Logits(widened, ids), Tolerances.TinyLogitsAbs, 0, "bf16 widened to f32");
    }
}

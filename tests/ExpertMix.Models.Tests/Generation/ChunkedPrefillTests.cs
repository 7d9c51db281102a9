// ChunkedPrefill on stories260K: chunked and one-shot prefill give the same last logits and the same cache.
using ExpertMix.Models.Tokenization;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Generation;

public class ChunkedPrefillTests
{
    [SkippableTheory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(11)]
    public void Chunked_prefill_matches_one_forward_and_leaves_the_same_cache(int chunk)
    {
        string dir = SharedData.Require("models/stories260K");
        using var model = CausalLm.Load(dir);
        var ids = Tokenizer.FromDirectory(dir).Encode("Once upon a time, there was a little girl named Mia. She had a red ball.", SpecialTokens.Add);
        Assert.True(ids.Count > 2 * chunk, $"{ids.Count} tokens");
        using var input = Tensor.FromInts([.. ids], new Shape(1, ids.Count));

        using var wholeCache = model.CreateCache(1, ids.Count + 1);
        using var chunkCache = model.CreateCache(1, ids.Count + 1);
        var whole = new ForwardContext { Cache = wholeCache, Logits = LogitsSelection.LastPosition };
        var chunked = new ForwardContext { Cache = chunkCache, Logits = LogitsSelection.LastPosition };
        using var expected = model.Forward(input, whole);                                   // [1, 1, V]
        using var actual = ChunkedPrefill.Forward(model, input, chunked, chunk);            // [1, 1, V]

        Assert.Equal(expected.Shape, actual.Shape);
        TensorAssert.Close(expected.ToArray(), actual.ToArray(), Tolerances.TinyLogitsAbs, 0, $"chunk {chunk}");
        Assert.Equal(ids.Count, chunkCache.Length);
        using var next = Tensor.FromInts([42], new Shape(1, 1));
        using var a = model.Forward(next, whole);
        using var b = model.Forward(next, chunked);
        TensorAssert.Close(a.ToArray(), b.ToArray(), Tolerances.TinyLogitsAbs, 0, "next step after the prefill");
    }
}

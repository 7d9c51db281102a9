// The real stories260K Llama (llama2.c, TinyStories) against the PyTorch reference outputs beside it in shared/.
using System.Text.Json;
using ExpertMix.Models.Llama;
using ExpertMix.Testing;
using Xunit.Abstractions;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Models.Tests;

public class Stories260KTests(ITestOutputHelper output)
{
    private static string ModelDir() => SharedData.Require("models/stories260K");

    [SkippableFact]
    public void Logits_of_every_position_match_the_pytorch_reference()
    {
        string dir = ModelDir();
        using var model = CausalLm.Load(dir, LoadOptions.Strict);
        Assert.IsType<LlamaForCausalLM>(model);
        Assert.Equal(512, model.Info.VocabSize);
        Assert.Equal(260_032, model.Info.ParameterCount);
        Assert.Equal(1, model.Info.BosTokenId);
        Assert.Equal([2], model.Info.EosTokenIds);
        Assert.Empty(model.Info.Warnings);

        using var reference = SafetensorsFile.Open(Path.Combine(dir, "reference", "logits.safetensors"));
        using var ids = reference.GetTensor("token_ids");
        using var expected = reference.GetTensor("logits");
        var tokens = ids.ToInt64Array();
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference", "perplexity.json")));
        Assert.Equal(json.RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt64()), tokens);

        var actual = ModelRunner.Logits(model, tokens);
        TensorAssert.Close(expected.ToArray(), actual, Tolerances.TinyLogitsAbs, 0, "stories260K logits [94, 512]");
        output.WriteLine($"stories260K: max |logits − torch| = {ModelRunner.MaxAbsDiff(expected.ToArray(), actual):g3}");
    }

    [SkippableFact]
    public void Greedy_continuation_matches_the_reference_with_and_without_cache()
    {
        string dir = ModelDir();
        using var model = CausalLm.Load(dir);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reference", "greedy.json"))).RootElement;
        long[] prompt = json.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        long[] expected = json.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();

        Assert.Equal(expected, ModelRunner.GreedyCached(model, prompt, expected.Length));
        Assert.Equal(expected, ModelRunner.GreedyCached(model, prompt, expected.Length, Tensors.DType.BF16));   // a bf16 KV cache tells the same story
        Assert.Equal(expected[..16], ModelRunner.GreedyRecompute(model, prompt, 16));
    }
}

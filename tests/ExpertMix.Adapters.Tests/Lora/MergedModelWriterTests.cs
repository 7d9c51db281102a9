// --into-base: the merged Hugging Face directory reloads and gives the adapters' logits; Conv1D and tied heads are handled.
using System.Text.Json;
using ExpertMix.Adapters.Lora;
using ExpertMix.Models;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Lora;

public class MergedModelWriterTests
{
    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void A_merged_model_directory_reloads_with_the_adapters_logits(string model)
    {
        var golden = LoraFixtures.Golden($"lora-logits-{model}.safetensors");
        long[] ids = golden["input_ids"].ToInt64();
        string outDir = LoraFixtures.TempDir();
        using (var lm = LoraFixtures.Load(model))
        using (var host = new LoraHost(lm))
        {
            host.Add(PeftFormat.Load(LoraFixtures.AdapterDir(model, "a"), "a"));
            host.Add(PeftFormat.Load(LoraFixtures.AdapterDir(model, "b"), "b"), -0.5f);
            MergedModelWriter.Write(lm, LoraFixtures.ModelDir(model), outDir, maxShardBytes: 100_000);
        }
        Assert.True(File.Exists(Path.Combine(outDir, "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "model.safetensors.index.json")), "small shards force an index");
        using (var merged = CausalLm.Load(outDir, new LoadOptions(UnusedTensors: UnusedTensorPolicy.Error)))
        {
            TensorAssert.Close(golden["logits_ab"].Data, LoraFixtures.Logits(merged, ids), Tolerances.TinyLogitsAbs, what: "merged checkpoint");
        }
        if (model == "tiny-gpt2")
        {
            using var src = SafetensorsSource.Open(LoraFixtures.ModelDir(model));
            using var dst = SafetensorsSource.Open(outDir);
            Assert.Equal(src.GetInfo("transformer.h.0.mlp.c_fc.weight").Shape, dst.GetInfo("transformer.h.0.mlp.c_fc.weight").Shape); // [in, out] kept
            using var ln = dst.GetTensor("transformer.h.0.ln_1.weight");
            using var ln0 = src.GetTensor("transformer.h.0.ln_1.weight");
            TensorAssert.BitEqual(ln0.ToArray(), ln.ToArray(), "untouched parameter");
        }
        Directory.Delete(outDir, recursive: true);
    }

    [Fact]
    public void An_adapted_tied_head_is_written_untied_and_the_base_directory_is_never_overwritten()
    {
        string outDir = LoraFixtures.TempDir();
        long[] ids = [4, 8, 15, 16, 23, 42];
        float[] expected;
        using (var lm = LoraFixtures.Load("tiny-gpt2"))
        using (var host = new LoraHost(lm))
        {
            host.CreateAdapter("head", new LoraConfig { Rank = 2, Alpha = 2, TargetModules = TargetModules.List(["lm_head"]), Init = LoraInit.Random }, new Rng(3));
            expected = LoraFixtures.Logits(lm, ids);
            Assert.Throws<IOException>(() => MergedModelWriter.Write(lm, LoraFixtures.ModelDir("tiny-gpt2"), LoraFixtures.ModelDir("tiny-gpt2")));
            MergedModelWriter.Write(lm, LoraFixtures.ModelDir("tiny-gpt2"), outDir);
            Assert.Throws<IOException>(() => MergedModelWriter.Write(lm, LoraFixtures.ModelDir("tiny-gpt2"), outDir));
        }
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")));
        Assert.False(config.RootElement.GetProperty("tie_word_embeddings").GetBoolean());
        using (var merged = CausalLm.Load(outDir, new LoadOptions(UnusedTensors: UnusedTensorPolicy.Error)))
        {
            TensorAssert.Close(expected, LoraFixtures.Logits(merged, ids), Tolerances.TinyLogitsAbs, what: "untied head");
        }
        Directory.Delete(outDir, recursive: true);
    }
}

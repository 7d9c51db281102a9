// Paths of the tiny model checkpoints (Models.Tests goldens) and the LoRA goldens (tools/golden/lora.py).
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Lora;

internal static class LoraFixtures
{
    public static readonly TheoryData<string> Models = new() { "tiny-gpt2", "tiny-llama" };

    public static string ModelDir(string name) => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Golden", name);

    public static string AdapterDir(string model, string adapter) => Path.Combine(AppContext.BaseDirectory, "Golden", $"peft-{model}-{adapter}");

    public static GoldenFile Golden(string file) => GoldenFile.Load(Path.Combine(AppContext.BaseDirectory, "Golden", file));

    public static ICausalLm Load(string model) => CausalLm.Load(ModelDir(model), new LoadOptions(DType: DTypePolicy.F32));

    public static float[] Logits(ICausalLm model, long[] ids)
    {
        using var scope = TensorScope.Begin();
        var input = Tensor.Empty(new Shape(1, ids.Length), DType.I64);
        ids.CopyTo(input.AsSpan<long>());
        using var logits = model.Forward(input, new ForwardContext());   // [1, T, V]
        return logits.ToArray();
    }

    /// <summary>A fresh directory, deleted with the test process.</summary>
    public static string TempDir() => TestTempDirectory.Create("lora-");
}

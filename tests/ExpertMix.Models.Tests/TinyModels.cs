// Locates the tiny PyTorch golden checkpoints (tools/golden/tiny_models.py) copied next to the test binary.
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests;

internal static class TinyModels
{
    public static readonly TheoryData<string> All = new() { "tiny-gpt2", "tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-mistral" };

    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    public static GoldenFile Reference(string name) => GoldenFile.Load(Path.Combine(AppContext.BaseDirectory, "Golden", name + "-logits.safetensors"));

    /// <summary>A writable copy of a tiny checkpoint folder in a fresh temp folder (for corrupting it in loader tests).</summary>
    public static string CopyToTemp(string name)
    {
        string dst = Path.Combine(Path.GetTempPath(), "expertmix-models-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dst);
        foreach (var f in Directory.GetFiles(Dir(name))) File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        return dst;
    }
}

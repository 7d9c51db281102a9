// tiny-llama with a byte-level tokenizer (ids 0..255 = bytes, fitting its 256-token vocabulary) for generation tests.
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Svf;

internal static class SvfPolicyFixtures
{
    private static readonly Lazy<string> Dir = new(Write);

    /// <summary>A temp copy of tiny-llama plus a tokenizer.json with one token per byte and no special tokens.</summary>
    public static string ByteModelDir() => Dir.Value;

    private static string Write()
    {
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-svf-byte-llama-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.EnumerateFiles(LoraFixtures.ModelDir("tiny-llama"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        ByteTokenizerFile.Write(dir);
        return dir;
    }
}

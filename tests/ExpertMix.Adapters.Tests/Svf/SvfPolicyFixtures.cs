// tiny-llama with a byte-level tokenizer (ids 0..255 = bytes, fitting its 256-token vocabulary) for generation tests.
using System.Text.Json;
using ExpertMix.Adapters.Tests.Lora;

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
        var vocab = new Dictionary<string, int>();
        var alphabet = ByteAlphabet();
        for (int b = 0; b < 256; b++) vocab[alphabet[b].ToString()] = b;
        var json = new Dictionary<string, object?>
        {
            ["added_tokens"] = Array.Empty<object>(),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            ["post_processor"] = null,
            ["decoder"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            ["model"] = new { type = "BPE", vocab, merges = Array.Empty<string>() },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), JsonSerializer.Serialize(json));
        return dir;
    }

    private static char[] ByteAlphabet()
    {
        var table = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool direct = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = direct ? (char)b : (char)(256 + n++);
        }
        return table;
    }
}

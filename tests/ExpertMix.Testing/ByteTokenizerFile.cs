// Writes a tokenizer.json with one BPE token per byte (GPT-2's byte alphabet, no merges): ids 0..255 are the bytes.
using System.Text.Json;

namespace ExpertMix.Testing;

/// <summary>A byte-level tokenizer file for tiny test models: every byte is its own token, so any text encodes.</summary>
public static class ByteTokenizerFile
{
    /// <summary>GPT-2's byte → printable-char table (bytes that are printable map to themselves, the rest to 256 + n).</summary>
    public static char[] Alphabet()
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

    /// <summary>An added special token entry as tokenizer.json writes it.</summary>
    public static object Special(int id, string content) =>
        new { id, content, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true };

    /// <summary>
    /// Writes <paramref name="directory"/>/tokenizer.json: ByteLevel pre-tokenizer and decoder, a 256-token BPE vocabulary,
    /// the given added tokens (e.g. from <see cref="Special"/>) and post-processor (null = none).
    /// </summary>
    public static void Write(string directory, IReadOnlyList<object>? addedTokens = null, object? postProcessor = null)
    {
        var alphabet = Alphabet();
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => alphabet[b].ToString(), b => b);
        var json = new Dictionary<string, object?>
        {
            ["added_tokens"] = addedTokens ?? [],
            ["normalizer"] = null,
            ["pre_tokenizer"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            ["post_processor"] = postProcessor,
            ["decoder"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            ["model"] = new { type = "BPE", vocab, merges = Array.Empty<string>() },
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), JsonSerializer.Serialize(json));
    }
}

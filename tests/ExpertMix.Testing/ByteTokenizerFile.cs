// Test-side name of the byte-level tokenizer writer, which lives in src (ExpertMix.Models.Tokenization.ByteTokenizerJson).
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Testing;

/// <summary>A byte-level tokenizer file for tiny test models; delegates to <see cref="ByteTokenizerJson"/>.</summary>
public static class ByteTokenizerFile
{
    /// <summary>GPT-2's byte → printable-char table (see <see cref="ByteTokenizerJson.Alphabet"/>).</summary>
    public static char[] Alphabet() => ByteTokenizerJson.Alphabet();

    /// <summary>An added special token entry as tokenizer.json writes it.</summary>
    public static object Special(int id, string content) => ByteTokenizerJson.Special(id, content);

    /// <summary>Writes <paramref name="directory"/>/tokenizer.json (see <see cref="ByteTokenizerJson.Write"/>).</summary>
    public static void Write(string directory, IReadOnlyList<object>? addedTokens = null, object? postProcessor = null) =>
        ByteTokenizerJson.Write(directory, addedTokens, postProcessor);
}

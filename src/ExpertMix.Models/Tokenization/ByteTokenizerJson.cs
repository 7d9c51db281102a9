// Writes a tokenizer.json with one BPE token per byte (GPT-2's byte alphabet, no merges): ids 0..255 are the bytes.
using System.Text.Json;

namespace ExpertMix.Models.Tokenization;

/// <summary>
/// A byte-level tokenizer file for tiny models trained from scratch: every byte is its own token (id = byte value),
/// so any text encodes; special tokens get ids 256 and up.
/// </summary>
public static class ByteTokenizerJson
{
    /// <summary>Number of byte tokens (ids 0..255).</summary>
    public const int ByteCount = 256;

    /// <summary>Id of <c>&lt;s&gt;</c> in <see cref="WriteWithBosEos"/>'s vocabulary.</summary>
    public const int BosId = 256;

    /// <summary>Id of <c>&lt;/s&gt;</c> in <see cref="WriteWithBosEos"/>'s vocabulary.</summary>
    public const int EosId = 257;

    /// <summary>Id of <c>&lt;pad&gt;</c> in <see cref="WriteWithBosEos"/>'s vocabulary.</summary>
    public const int PadId = 258;

    /// <summary>Vocabulary size of <see cref="WriteWithBosEos"/>: 256 bytes + BOS, EOS, pad.</summary>
    public const int VocabSizeWithBosEos = 259;

    /// <summary>GPT-2's byte → printable-char table (bytes that are printable map to themselves, the rest to 256 + n).</summary>
    public static char[] Alphabet() => (char[])ByteLevelAlphabet.ByteToChar.Clone();

    /// <summary>An added special token entry as tokenizer.json writes it.</summary>
    public static object Special(int id, string content) =>
        new { id, content, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true };

    /// <summary>
    /// A TemplateProcessing post-processor that puts <paramref name="bosContent"/> (id <paramref name="bosId"/>) before
    /// every sequence: encode(text, add_special_tokens) = [BOS] ++ bytes(text), as Llama-2's tokenizer does.
    /// </summary>
    public static object BosTemplate(int bosId, string bosContent) => new
    {
        type = "TemplateProcessing",
        single = new object[] { new { SpecialToken = new { id = bosContent, type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
        pair = new object[] { new { SpecialToken = new { id = bosContent, type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } }, new { Sequence = new { id = "B", type_id = 1 } } },
        special_tokens = new Dictionary<string, object> { [bosContent] = new { id = bosContent, ids = new[] { bosId }, tokens = new[] { bosContent } } },
    };

    /// <summary>
    /// Writes <paramref name="directory"/>/tokenizer.json: ByteLevel pre-tokenizer and decoder, a 256-token BPE vocabulary,
    /// the given added tokens (e.g. from <see cref="Special"/>) and post-processor (null = none, e.g. <see cref="BosTemplate"/>).
    /// </summary>
    public static void Write(string directory, IReadOnlyList<object>? addedTokens = null, object? postProcessor = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var alphabet = ByteLevelAlphabet.ByteToChar;
        var vocab = Enumerable.Range(0, ByteCount).ToDictionary(b => alphabet[b].ToString(), b => b);
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

    /// <summary>
    /// A chat-free setup for models trained from scratch: writes tokenizer.json (bytes 0..255, <c>&lt;s&gt;</c> =
    /// <see cref="BosId"/>, <c>&lt;/s&gt;</c> = <see cref="EosId"/>, <c>&lt;pad&gt;</c> = <see cref="PadId"/>, BOS
    /// prepended by the post-processor) and tokenizer_config.json naming bos/eos/pad tokens, with
    /// <paramref name="chatTemplate"/> as its <c>chat_template</c> when given (else without one).
    /// </summary>
    public static void WriteWithBosEos(string directory, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Write(directory, [Special(BosId, "<s>"), Special(EosId, "</s>"), Special(PadId, "<pad>")], BosTemplate(BosId, "<s>"));
        var config = new Dictionary<string, object?>
        {
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
            ["pad_token"] = "<pad>",
            ["add_bos_token"] = true,
        };
        if (chatTemplate is not null) config["chat_template"] = chatTemplate;
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(config));
    }
}

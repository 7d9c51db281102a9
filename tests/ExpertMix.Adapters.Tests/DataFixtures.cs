// Test fixtures for the data pipeline: a tiny byte-level tokenizer with a ChatML template written to a temp
// folder (no ../shared needed), shared tokenizers via SharedData, and temp JSONL files.
using System.Collections.Concurrent;
using System.Text.Json;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests;

internal static class DataFixtures
{
    public const int Bos = 256, Eos = 257, ImStart = 258, ImEnd = 259, Pad = 260;

    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Shared = new();
    private static readonly Lazy<string> TinyDir = new(() => WriteTiny(wrapEos: false));
    private static readonly Lazy<string> TinyWrapDir = new(() => WriteTiny(wrapEos: true));

    /// <summary>
    /// A byte-level BPE with one token per byte (ids 0..255 in byte order, GPT-2 byte alphabet), added tokens
    /// &lt;s&gt; 256, &lt;/s&gt; 257, &lt;|im_start|&gt; 258, &lt;|im_end|&gt; 259, &lt;pad&gt; 260, a post-processor that
    /// prepends &lt;s&gt;, and a tokenizer_config.json with bos/eos/pad and a ChatML template.
    /// </summary>
    public static Tokenizer Tiny() => Tokenizer.FromDirectory(TinyDir.Value);

    /// <summary>The tiny tokenizer with a post-processor template [&lt;s&gt;, $A, &lt;/s&gt;] (EOS after every sequence).</summary>
    public static Tokenizer TinyWrappingEos() => Tokenizer.FromDirectory(TinyWrapDir.Value);

    /// <summary>The tiny tokenizer's ChatML template.</summary>
    public static ChatTemplate TinyTemplate() => ChatTemplate.FromTokenizerConfig(Path.Combine(TinyDir.Value, "tokenizer_config.json"))!;

    /// <summary>A tokenizer from shared/<paramref name="relativeDir"/>; skips when absent.</summary>
    public static Tokenizer SharedTokenizer(string relativeDir)
    {
        string dir = SharedData.Require(relativeDir);
        return Shared.GetOrAdd(dir, d => new Lazy<Tokenizer>(() => Tokenizer.FromDirectory(d))).Value;
    }

    private static string WriteTiny(bool wrapEos)
    {
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-data-tok-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var vocab = new Dictionary<string, int>();
        var alphabet = ByteTokenizerFile.Alphabet();
        for (int b = 0; b < 256; b++) vocab[alphabet[b].ToString()] = b;
        object Added(int id, string content) => new { id, content, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true };
        var json = new Dictionary<string, object?>
        {
            ["added_tokens"] = new[] { Added(Bos, "<s>"), Added(Eos, "</s>"), Added(ImStart, "<|im_start|>"), Added(ImEnd, "<|im_end|>"), Added(Pad, "<pad>") },
            ["normalizer"] = null,
            ["pre_tokenizer"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            ["post_processor"] = new
            {
                type = "TemplateProcessing",
                single = wrapEos
                    ? new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } }, new { SpecialToken = new { id = "</s>", type_id = 0 } } }
                    : new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
                pair = new object[] { new { Sequence = new { id = "A", type_id = 0 } } },
                special_tokens = new Dictionary<string, object>
                {
                    ["<s>"] = new { id = "<s>", ids = new[] { Bos }, tokens = new[] { "<s>" } },
                    ["</s>"] = new { id = "</s>", ids = new[] { Eos }, tokens = new[] { "</s>" } },
                },
            },
            ["decoder"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            ["model"] = new { type = "BPE", vocab, merges = Array.Empty<string>() },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), JsonSerializer.Serialize(json));
        var config = new Dictionary<string, object?>
        {
            ["bos_token"] = "<s>",
            ["eos_token"] = "</s>",
            ["pad_token"] = "<pad>",
            ["chat_template"] = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), JsonSerializer.Serialize(config));
        return dir;
    }

    /// <summary>A temp folder deleted on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "expertmix-data-" + Guid.NewGuid().ToString("N")[..12]);

        public string File(string name, string content)
        {
            string p = System.IO.Path.Combine(Path, name);
            System.IO.File.WriteAllText(p, content);
            return p;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>JSON-escapes a string (with quotes).</summary>
    public static string Q(string s) => JsonSerializer.Serialize(s);
}

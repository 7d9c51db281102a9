// Loading: stories260K reference ids, BOS/EOS discovery, GPT-2 vocab.json + merges.txt, malformed and unsupported files.
using System.Text.Json;
using System.Text.Json.Nodes;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class TokenizerLoadingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "expertmix-tok-" + Guid.NewGuid().ToString("N")[..12]);

    public TokenizerLoadingTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void Stories260k_encodes_the_perplexity_text_to_its_reference_ids_with_bos()
    {
        var tok = TokenizerFixtures.Load("models/stories260K");
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Require("models/stories260K/reference/perplexity.json")));
        string text = doc.RootElement.GetProperty("text").GetString()!;
        var expected = TokenizerFixtures.Ints(doc.RootElement.GetProperty("token_ids"));
        Assert.Equal(expected, tok.Encode(text, SpecialTokens.Add));
        Assert.Equal(expected[1..], tok.Encode(text, SpecialTokens.None));
        Assert.Equal(text, tok.Decode(expected, SkipSpecial.Yes));
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        Assert.True(tok.AddsBos);
        Assert.True(tok.ConfigAddBosToken);
        Assert.Equal(512, tok.VocabSize);
        Assert.Equal([0, 1, 2], tok.SpecialIds);
    }

    [SkippableFact]
    public void Stories260k_decodes_the_greedy_reference_ids_to_the_reference_text()
    {
        var tok = TokenizerFixtures.Load("models/stories260K");
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Require("models/stories260K/reference/greedy.json")));
        var ids = TokenizerFixtures.Ints(doc.RootElement.GetProperty("greedy_ids"));
        Assert.Equal(doc.RootElement.GetProperty("greedy_text").GetString(), tok.Decode(ids, SkipSpecial.Yes));
    }

    [SkippableTheory]
    [InlineData("gpt2", 50257, 50256, 50256, false)]
    [InlineData("llama2", 32000, 1, 2, true)]
    [InlineData("llama3", 128256, 128000, 128001, false)]
    [InlineData("qwen3", 151669, null, 151645, false)]
    [InlineData("gemma3", 262145, 2, 106, true)]
    public void Bos_eos_and_vocab_size_come_from_the_files(string name, int vocabSize, int? bos, int? eos, bool addsBos)
    {
        var tok = TokenizerFixtures.Load("tokenizers/" + name);
        Assert.Equal(vocabSize, tok.VocabSize);
        Assert.Equal(bos, tok.BosId);
        Assert.Equal(eos, tok.EosId);
        Assert.Equal(addsBos, tok.AddsBos);
        if (eos is int e)
        {
            Assert.Contains(e, tok.SpecialIds);
            Assert.Equal(e, tok.TokenToId(tok.IdToToken(e)!));
        }
        Assert.Null(tok.IdToToken(vocabSize));
        Assert.Null(tok.TokenToId("no such token "));
    }

    [SkippableTheory]
    [InlineData("gpt2")]
    [InlineData("llama2")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void Odd_inputs_encode_without_errors_and_long_words_take_the_heap_path(string name)
    {
        var tok = TokenizerFixtures.Load("tokenizers/" + name);
        // Lone surrogates cannot reach the Rust library; they are encoded as U+FFFD's UTF-8 bytes here.
        Assert.NotEmpty(tok.Encode("a\uD800b\uDC00", SpecialTokens.None));
        Assert.NotEmpty(tok.Encode("\0\u0001\u007f\u200b\ufeff", SpecialTokens.None));
        string longWord = string.Concat(Enumerable.Repeat("abcdefghij", 3000));
        var ids = tok.Encode(longWord, SpecialTokens.None);
        Assert.Equal(longWord, tok.Decode(ids, SkipSpecial.No).TrimStart());
    }

    [SkippableFact]
    public void Concurrent_encodes_share_the_word_cache_safely()
    {
        var tok = TokenizerFixtures.Load("tokenizers/llama3");
        var rows = TokenizerFixtures.ReadJsonl("tokenizers/llama3/golden.jsonl");
        var texts = rows.Select(r => r.GetProperty("text").GetString()!).ToArray();
        var expected = rows.Select(r => TokenizerFixtures.Ints(r.GetProperty("ids"))).ToArray();
        int mismatches = 0;
        Parallel.For(0, texts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            if (!tok.Encode(texts[i % texts.Length], SpecialTokens.None).SequenceEqual(expected[i % texts.Length])) Interlocked.Increment(ref mismatches);
        });
        Assert.Equal(0, mismatches);
    }

    [SkippableFact]
    public void Gpt2_vocab_json_and_merges_txt_encode_every_golden_row_like_tokenizer_json()
    {
        string json = SharedData.Require("tokenizers/gpt2/tokenizer.json");
        var root = JsonNode.Parse(File.ReadAllText(json))!;
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), root["model"]!["vocab"]!.ToJsonString());
        var merges = root["model"]!["merges"]!.AsArray().Select(m => m is JsonArray a ? $"{a[0]} {a[1]}" : m!.GetValue<string>());
        File.WriteAllLines(Path.Combine(_dir, "merges.txt"), new[] { "#version: 0.2" }.Concat(merges));
        var tok = Tokenizer.FromDirectory(_dir);
        Assert.EndsWith("vocab.json", tok.SourcePath, StringComparison.Ordinal);
        Assert.Equal(50256, tok.EosId);
        int mismatches = 0;
        foreach (var row in TokenizerFixtures.ReadJsonl("tokenizers/gpt2/golden.jsonl"))
        {
            string text = row.GetProperty("text").GetString()!;
            var ids = TokenizerFixtures.Ints(row.GetProperty("ids"));
            if (!tok.Encode(text, SpecialTokens.Add).SequenceEqual(ids) || tok.Decode(ids, SkipSpecial.No) != row.GetProperty("decoded").GetString()) mismatches++;
        }
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Tiny_vocab_and_merges_apply_merges_by_rank()
    {
        // "Ġ" is the byte-level char of the space. Merge ranks: l+l, h+e, he+ll, hell+o, Ġ+w.
        var vocab = new Dictionary<string, int> { ["h"] = 0, ["e"] = 1, ["l"] = 2, ["o"] = 3, ["Ġ"] = 4, ["w"] = 5, ["ll"] = 6, ["he"] = 7, ["hell"] = 8, ["hello"] = 9, ["Ġw"] = 10 };
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllLines(Path.Combine(_dir, "merges.txt"), ["#version: 0.2", "l l", "h e", "he ll", "hell o", "Ġ w"]);
        var tok = Tokenizer.FromDirectory(_dir);
        Assert.Equal([9, 10, 3], tok.Encode("hello wo", SpecialTokens.None));
        Assert.Equal([8, 8], tok.Encode("hellhell", SpecialTokens.None));
        Assert.Equal([7, 2], tok.Encode("hel", SpecialTokens.None));
        Assert.Equal("hello wo", tok.Decode([9, 10, 3], SkipSpecial.No));
        Assert.Null(tok.EosId);
    }

    [Fact]
    public void Malformed_json_is_an_invalid_data_error_naming_the_file()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": ");
        var e = Assert.Throws<InvalidDataException>(() => Tokenizer.FromFile(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_model_is_an_invalid_data_error()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, "{\"added_tokens\": []}");
        var e = Assert.Throws<InvalidDataException>(() => Tokenizer.FromFile(path));
        Assert.Equal($"{path}: missing \"model\"", e.Message);
    }

    [Fact]
    public void Merge_with_an_unknown_token_is_an_invalid_data_error_naming_the_merge()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}");
        var e = Assert.Throws<InvalidDataException>(() => Tokenizer.FromFile(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("model.merges[0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("'ab'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}", "model type \"WordPiece\"")]
    [InlineData("\"normalizer\": {\"type\": \"Precompiled\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}", "normalizer type \"Precompiled\"")]
    [InlineData("\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}", "pre_tokenizer type \"BertPreTokenizer\"")]
    [InlineData("\"decoder\": {\"type\": \"WordPiece\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}", "decoder type \"WordPiece\"")]
    public void Unknown_component_types_are_not_supported_errors_naming_type_and_file(string body, string expected)
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, "{" + body + "}");
        var e = Assert.Throws<NotSupportedException>(() => Tokenizer.FromFile(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_merges_line_names_file_and_line()
    {
        File.WriteAllText(Path.Combine(_dir, "vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        string merges = Path.Combine(_dir, "merges.txt");
        File.WriteAllLines(merges, ["#version: 0.2", "a b", "abc"]);
        var e = Assert.Throws<InvalidDataException>(() => Tokenizer.FromDirectory(_dir));
        Assert.StartsWith(merges + ":3:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_without_tokenizer_files_is_a_file_not_found_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Tokenizer.FromDirectory(_dir));
        Assert.Contains("no tokenizer.json", e.Message, StringComparison.Ordinal);
        Assert.Throws<DirectoryNotFoundException>(() => Tokenizer.FromDirectory(Path.Combine(_dir, "nope")));
    }

    [Fact]
    public void Unknown_character_without_unk_or_byte_fallback_is_a_clear_error()
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        var tok = Tokenizer.FromFile(path);
        Assert.Equal([0, 0], tok.Encode("aa", SpecialTokens.Add));
        var e = Assert.Throws<InvalidDataException>(() => tok.Encode("ab", SpecialTokens.None));
        Assert.Contains("'b'", e.Message, StringComparison.Ordinal);
    }
}

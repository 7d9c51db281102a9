// StreamingDecoder: the streamed pieces concatenate to the HF decode of the golden rows, and no U+FFFD appears mid-stream.
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class StreamingDecoderTests
{
    public static TheoryData<string> Names => new() { "gpt2", "llama2", "llama3", "qwen3", "gemma3" };

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Streamed_pieces_concatenate_to_the_hugging_face_decode_of_every_golden_row(string name)
    {
        var tok = TokenizerFixtures.Load("tokenizers/" + name);
        var rows = TokenizerFixtures.ReadJsonl($"tokenizers/{name}/golden.jsonl");
        var failures = new List<string>();
        for (int r = 0; r < rows.Count; r++)
        {
            var ids = TokenizerFixtures.Ints(rows[r].GetProperty("ids_with_special"));
            foreach (var (mode, key) in new[] { (SkipSpecial.No, "decoded_with_special"), (SkipSpecial.Yes, "decoded_with_special_skip") })
            {
                string expected = rows[r].GetProperty(key).GetString()!;
                var pieces = new List<string>();
                string streamed = StreamingDecoder.StreamAll(tok, ids, mode, pieces);
                if (streamed != expected)
                    failures.Add($"row {r} {key}: expected {TokenizerFixtures.Show(expected)}, streamed {TokenizerFixtures.Show(streamed)}");
                else if (!expected.Contains('\uFFFD') && pieces.Any(p => p.Contains('\uFFFD')))
                    failures.Add($"row {r} {key}: a streamed piece contains U+FFFD: {string.Join(" | ", pieces.Select(TokenizerFixtures.Show))}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches:\n" + string.Join("\n", failures.Take(10)));
    }

    [SkippableTheory]
    [InlineData("gpt2")]
    [InlineData("llama2")]
    [InlineData("gemma3")]
    public void Multi_byte_characters_split_across_tokens_are_held_back_until_complete(string name)
    {
        var tok = TokenizerFixtures.Load("tokenizers/" + name);
        const string text = "Emoji 😀🎉 and 𝒳 and 中文 done";
        var ids = tok.Encode(text, SpecialTokens.None);
        var decoder = new StreamingDecoder(tok, SkipSpecial.No);
        var pieces = new List<string>();
        bool sawHold = false;
        foreach (int id in ids)
        {
            string s = decoder.Push(id);
            if (s.Length == 0) sawHold = true;
            Assert.DoesNotContain('\uFFFD', s);
            pieces.Add(s);
        }
        pieces.Add(decoder.Flush());
        Assert.Equal(tok.Decode(ids, SkipSpecial.No), string.Concat(pieces));
        Assert.True(sawHold, "expected at least one token that completes only part of a character (ids: " + string.Join(",", ids) + ")");
    }

    [SkippableFact]
    public void Flush_returns_held_bytes_as_replacement_characters_and_reset_starts_over()
    {
        var tok = TokenizerFixtures.Load("tokenizers/llama2");
        int lead = tok.TokenToId("<0xF0>")!.Value;
        var d = new StreamingDecoder(tok, SkipSpecial.No);
        Assert.Equal("", d.Push(lead));
        Assert.Equal(tok.Decode([lead], SkipSpecial.No), d.Flush());
        d.Reset();
        Assert.Empty(d.Ids);
        var hello = tok.Encode("Hello", SpecialTokens.None);
        Assert.Equal("Hello", string.Concat(hello.Select(d.Push)) + d.Flush());
    }

    [Fact]
    public void Decoders_that_strip_trailing_text_still_stream_to_the_full_decode()
    {
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-stream-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            File.WriteAllText(path, """
                {"model": {"type": "BPE", "vocab": {"a": 0, " ": 1, "b": 2}, "merges": []},
                 "decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 0, "stop": 1}]}}
                """);
            var tok = Tokenizer.FromFile(path);
            foreach (int[] ids in new[] { new[] { 0, 1, 2 }, [0, 1], [0, 1, 1, 2, 1], [1, 1, 1] })
                Assert.Equal(tok.Decode(ids, SkipSpecial.No), StreamingDecoder.StreamAll(tok, ids, SkipSpecial.No));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

// BPE model: heap, array and '▁'-chunked merge loops vs HF golden ids on whole SentencePiece texts; prefix/suffix/unk rules.
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class BpeModelTests
{
    [SkippableTheory]
    [InlineData("llama2")]
    [InlineData("gemma3")]
    public void Whole_text_merges_match_golden_ids_with_heap_array_and_chunked_loops(string name)
    {
        var tok = TokenizerFixtures.Load("tokenizers/" + name);
        var model = tok.Model;
        var addedIds = new HashSet<int>(tok.SpecialIds);
        int checkedRows = 0, longRows = 0;
        var failures = new List<string>();
        foreach (var row in TokenizerFixtures.ReadJsonl($"tokenizers/{name}/golden.jsonl"))
        {
            string text = row.GetProperty("text").GetString()!;
            var ids = TokenizerFixtures.Ints(row.GetProperty("ids"));
            // Only rows that are one BPE word: no added tokens matched in the text.
            if (text.Length == 0 || ids.Any(addedIds.Contains) || text.Contains('\n') || text.Contains('\t') || text.Contains('<') || text.Contains('\u2581')) continue;
            string word = tok.Normalizer!.Normalize(text);
            checkedRows++;
            if (word.Length > 64) longRows++;
            var heap = model.MergeWord(word, forceHeap: true);
            var auto = model.MergeWord(word);
            var chunked = new List<int>();
            model.Tokenize(word, chunked);
            if (!heap.SequenceEqual(ids)) failures.Add($"heap: {TokenizerFixtures.Show(text)}");
            if (!auto.SequenceEqual(ids)) failures.Add($"array/auto: {TokenizerFixtures.Show(text)}");
            if (!chunked.SequenceEqual(ids)) failures.Add($"chunked: {TokenizerFixtures.Show(text)}");
        }
        Assert.True(checkedRows > 100 && longRows > 20, $"only {checkedRows} rows ({longRows} long) were single words");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public void Continuing_subword_prefix_is_added_to_inner_symbols_and_dropped_from_merge_results()
    {
        // As the HF crate's test_bpe_with_continuing_subword_prefix: merges (a, ##b) → "ab", (ab, ##c) → "abc".
        var vocab = new Dictionary<string, int> { ["a"] = 0, ["##b"] = 1, ["##c"] = 2, ["ab"] = 3, ["abc"] = 4, ["[UNK]"] = 5 };
        var model = new BpeModel(vocab, [("a", "##b"), ("ab", "##c")], new BpeOptions("[UNK]", "##", null, false, false, false), "test");
        Assert.Equal([3], model.MergeWord("ab"));
        Assert.Equal([4], model.MergeWord("abc"));
        Assert.Equal([0, 5], model.MergeWord("ax"));
    }

    [Fact]
    public void End_of_word_suffix_is_added_to_the_last_symbol()
    {
        var vocab = new Dictionary<string, int> { ["a"] = 0, ["b</w>"] = 1, ["ab</w>"] = 2, ["b"] = 3 };
        var model = new BpeModel(vocab, [("a", "b</w>")], new BpeOptions(null, null, "</w>", false, false, false), "test");
        Assert.Equal([2], model.MergeWord("ab"));
        Assert.Equal([0, 3, 1], model.MergeWord("abb"));
    }

    [Fact]
    public void Unknown_characters_fuse_into_one_unk_only_when_fuse_unk_is_set()
    {
        var vocab = new Dictionary<string, int> { ["<unk>"] = 0, ["a"] = 1 };
        var fused = new BpeModel(vocab, [], new BpeOptions("<unk>", null, null, true, false, false), "test");
        var separate = new BpeModel(vocab, [], new BpeOptions("<unk>", null, null, false, false, false), "test");
        Assert.Equal([1, 0, 1], fused.MergeWord("axyza"));
        Assert.Equal([1, 0, 0, 0, 1], separate.MergeWord("axyza"));
    }
}

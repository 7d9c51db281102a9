// BPE merge loops: the heap loop, the array loop and '▁' chunking all give the HF golden ids on whole SentencePiece texts.
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
}

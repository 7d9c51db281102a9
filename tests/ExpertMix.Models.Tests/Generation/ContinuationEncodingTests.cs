// ContinuationEncoding: lm-eval _encode_pair behaviour with a toy encoder, and left truncation.
using ExpertMix.Models.Generation;

namespace ExpertMix.Models.Tests.Generation;

public class ContinuationEncodingTests
{
    // Toy encoder: one token per word, a word keeps its leading space (" blue" ≠ "blue"); ids from a table.
    private static readonly Dictionary<string, int> Vocab = [];

    private static IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        int i = 0;
        while (i < text.Length)
        {
            int j = i;
            while (j < text.Length && text[j] == ' ') j++;
            while (j < text.Length && text[j] != ' ') j++;
            string piece = text[i..j];
            if (!Vocab.TryGetValue(piece, out int id)) Vocab[piece] = id = Vocab.Count + 10;
            ids.Add(id);
            i = j;
        }
        return ids;
    }

    [Fact]
    public void Trailing_context_whitespace_moves_into_the_continuation_like_lm_eval()
    {
        var (ctx, cont) = ContinuationEncoding.EncodePair("The sky is ", "blue", Encode);
        Assert.Equal(Encode("The sky is"), ctx);
        Assert.Equal(Encode(" blue"), cont);
        var (ctx2, cont2) = ContinuationEncoding.EncodePair("The sky is", ContinuationEncoding.TargetDelimiter + "blue", Encode);
        Assert.Equal(ctx, ctx2);
        Assert.Equal(cont, cont2);
    }

    [Fact]
    public void An_empty_context_conditions_on_the_start_token()
    {
        var (ctx, cont) = ContinuationEncoding.EncodePair("", "hello world", Encode, emptyContextId: 1);
        Assert.Equal([1], ctx);
        Assert.Equal(Encode("hello world"), cont);
        Assert.Throws<ArgumentException>(() => ContinuationEncoding.EncodePair("", "x", Encode));
        Assert.Throws<ArgumentException>(() => ContinuationEncoding.EncodePair("a", "", Encode));
    }

    [Fact]
    public void Join_keeps_the_last_max_length_plus_one_tokens_and_locates_the_continuation()
    {
        var seq = ContinuationEncoding.Join([1, 2, 3, 4, 5], [6, 7], maxLength: 4);
        Assert.Equal([3, 4, 5, 6, 7], seq.Ids); // (ctx + cont)[-(4 + 1):]
        Assert.Equal((3, 2), (seq.ContinuationStart, seq.ContinuationLength));
        ScoredToken[] scores = [new(4, -1, false), new(5, -2, false), new(6, -3, false), new(7, -4, true)];
        Assert.Equal([new ScoredToken(6, -3, false), new ScoredToken(7, -4, true)], seq.ContinuationScores(scores).ToArray());
        Assert.Throws<ArgumentException>(() => seq.ContinuationScores(scores[1..]));

        var whole = ContinuationEncoding.Join([1, 2], [3], maxLength: 10);
        Assert.Equal([1, 2, 3], whole.Ids);
        Assert.Equal(2, whole.ContinuationStart);
        Assert.Throws<ArgumentException>(() => ContinuationEncoding.Join([1], [2, 3, 4], maxLength: 2));
        Assert.Throws<ArgumentException>(() => ContinuationEncoding.Join([], [2], maxLength: 2));
    }
}

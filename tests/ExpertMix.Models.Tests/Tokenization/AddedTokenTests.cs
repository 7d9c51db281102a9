// Added-token splitting (lstrip / rstrip / single_word / normalized); expected splits are those asserted by the
// Hugging Face tokenizers crate's own tests in tokenizers/src/tokenizer/added_vocabulary.rs.
using System.Text.Json;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class AddedTokenTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "expertmix-added-" + Guid.NewGuid().ToString("N")[..12]);

    public AddedTokenTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<(string Text, int Id)> Split(AddedTokenMatcher m, string s)
    {
        var parts = new List<AddedSplit>();
        m.Split(s, parts);
        return parts.Select(p => (s[p.Start..p.End], p.Id)).ToList();
    }

    private static AddedToken Mask(bool lstrip = false, bool rstrip = false, bool singleWord = false) =>
        new(0, "<mask>", false, false, lstrip, rstrip, singleWord);

    [Fact]
    public void Single_word_tokens_match_only_outside_words()
    {
        // added_vocabulary.rs test_single_word_is_correct
        var m = new AddedTokenMatcher([("<mask>", Mask(singleWord: true))]);
        Assert.Equal([("<mask>", 0), (" My name ", -1), ("<mask>", 0), (" A<mask> <mask>ony ", -1), ("<mask>", 0)],
            Split(m, "<mask> My name <mask> A<mask> <mask>ony <mask>"));
    }

    [Fact]
    public void Single_word_treats_punctuation_as_a_boundary_and_combining_marks_as_word()
    {
        // added_vocabulary.rs test_single_word_is_unicode_correct
        var m = new AddedTokenMatcher([("<mask>", Mask(singleWord: true))]);
        Assert.Equal([("<mask>", 0), (", ", -1), ("<mask>", 0), ("- \u25CC\u0330<mask>", -1)], Split(m, "<mask>, <mask>- \u25CC\u0330<mask>"));
    }

    [Fact]
    public void Lstrip_and_rstrip_take_unicode_whitespace_without_overlapping()
    {
        // added_vocabulary.rs test_lstrip_unicode_space
        var m = new AddedTokenMatcher([("<mask>", Mask(lstrip: true, rstrip: true, singleWord: true))]);
        Assert.Equal([("Hi", -1), (" <mask> ", 0), ("there", -1), ("\t<mask>\t", 0), ("<mask>\u2000", 0)],
            Split(m, "Hi <mask> there\t<mask>\t<mask>\u2000"));
    }

    [Fact]
    public void Longest_token_at_the_leftmost_position_wins()
    {
        var a = new AddedToken(1, "<a>", true, false, false, false, false);
        var ab = new AddedToken(2, "<a><b>", true, false, false, false, false);
        var m = new AddedTokenMatcher([("<a>", a), ("<a><b>", ab)]);
        Assert.Equal([("x", -1), ("<a><b>", 2), ("<a>", 1), ("<b", -1)], Split(m, "x<a><b><a><b"));
        Assert.Equal([("", -1)], Split(m, ""));
    }

    [Fact]
    public void Normalized_tokens_match_the_normalized_text_and_special_ones_the_raw_text()
    {
        // added_vocabulary.rs options_use_cases: Lowercase normalizer; "my" (lstrip, rstrip), "name", "ony" (single
        // word) are normalized added tokens, [CLS] and [SEP] special ones. Splits: [CLS] | " my " | name |
        // " is anthony " | [SEP]; the text pieces go through a one-char BPE here.
        string chars = " isanthoy";
        var vocab = new Dictionary<string, int>();
        for (int i = 0; i < chars.Length; i++) vocab[chars[i].ToString()] = 10 + i;
        var json = new
        {
            added_tokens = new object[]
            {
                new { id = 0, content = "my", single_word = false, lstrip = true, rstrip = true, normalized = true, special = false },
                new { id = 1, content = "name", single_word = false, lstrip = false, rstrip = false, normalized = true, special = false },
                new { id = 2, content = "ony", single_word = true, lstrip = false, rstrip = false, normalized = true, special = false },
                new { id = 3, content = "[CLS]", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
                new { id = 4, content = "[SEP]", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
            },
            normalizer = new { type = "Lowercase" },
            model = new { type = "BPE", vocab, merges = Array.Empty<string>() },
        };
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json));
        var tok = Tokenizer.FromFile(path);
        int C(char c) => vocab[c.ToString()];
        int[] expected = [3, 0, 1, C(' '), C('i'), C('s'), C(' '), C('a'), C('n'), C('t'), C('h'), C('o'), C('n'), C('y'), C(' '), 4];
        Assert.Equal(expected, tok.Encode("[CLS] My name is Anthony [SEP]", SpecialTokens.None));
        Assert.Equal([3, 4], tok.SpecialIds);
        // Without a decoder, HF joins the token strings with single spaces.
        Assert.StartsWith("[CLS] my name   i s", tok.Decode(expected, SkipSpecial.No), StringComparison.Ordinal);
        Assert.StartsWith("my name   i s", tok.Decode(expected, SkipSpecial.Yes), StringComparison.Ordinal);
    }
}

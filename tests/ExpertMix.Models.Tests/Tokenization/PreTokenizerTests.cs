// Pre-tokenizers and the Metaspace decoder; expected splits are the ones asserted by the Hugging Face tokenizers
// crate's tests (pre_tokenizers/metaspace.rs, split.rs, digits.rs).
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class PreTokenizerTests
{
    private static List<string> Run(IPreTokenizer p, params string[] pieces)
    {
        var input = pieces.Select((t, i) => new Segment(t, i == 0)).ToList();
        var output = new List<Segment>();
        p.PreTokenize(input, output);
        return output.Select(s => s.Text).ToList();
    }

    private static IPreTokenizer SplitOnS(IPreTokenizer then) =>
        new SequencePreTokenizer([new SplitPreTokenizer(new LiteralMatcher("<s>"), SplitBehavior.Isolated, false), then]);

    [Fact]
    public void Metaspace_always_prefixes_every_piece_and_splits_before_each_meta_char()
    {
        var p = new MetaspacePreTokenizer('\u2581', PrependScheme.Always, split: true);
        Assert.Equal(["▁Hey", "▁friend!"], Run(p, "Hey friend!"));
        Assert.Equal(["▁Hey", "▁", "▁", "▁friend!"], Run(p, "Hey   friend!"));
        Assert.Equal(["▁Hey", "▁my", "▁friend", "▁", "▁<s>", "▁how", "▁are", "▁you"], Run(SplitOnS(p), "Hey my friend <s>how▁are you"));
    }

    [Fact]
    public void Metaspace_first_prefixes_only_the_piece_at_the_start_of_the_input()
    {
        var p = SplitOnS(new MetaspacePreTokenizer('\u2581', PrependScheme.First, split: false));
        Assert.Equal(["▁Hey▁my▁friend▁", "<s>", "how▁are▁you"], Run(p, "Hey my friend <s>how▁are you"));
        Assert.Equal(["▁Hey▁", "<s>", "how"], Run(p, " Hey <s>how"));
        Assert.Equal(["▁Hey▁", "<s>", "how▁", "<s>", "are▁", "<s>", "▁you"], Run(p, " Hey <s>how <s>are <s> you"));
    }

    [Fact]
    public void Metaspace_decoder_drops_the_first_meta_char_unless_the_scheme_is_never()
    {
        Assert.Equal(["Hey", " friend!"], new MetaspaceDecoder('\u2581', PrependScheme.Always).DecodeChain(["▁Hey", "▁friend!"]));
        Assert.Equal([" Hey", " friend!"], new MetaspaceDecoder('\u2581', PrependScheme.Never).DecodeChain(["▁Hey", "▁friend!"]));
    }

    [Theory]
    [InlineData("Removed", false, new[] { "How", "are", "you", "doing?" })]
    [InlineData("Isolated", false, new[] { "How", " ", "are", " ", "you", " ", "doing?" })]
    [InlineData("MergedWithPrevious", false, new[] { "How ", "are ", "you ", "doing?" })]
    [InlineData("MergedWithNext", false, new[] { "How", " are", " you", " doing?" })]
    [InlineData("Removed", true, new[] { " ", " ", " " })]
    public void Split_behaviours_cut_around_the_pattern(string behavior, bool invert, string[] expected)
    {
        var p = new SplitPreTokenizer(new LiteralMatcher(" "), Enum.Parse<SplitBehavior>(behavior), invert);
        Assert.Equal(expected, Run(p, "How are you doing?"));
    }

    [Fact]
    public void Contiguous_split_keeps_runs_of_matches_together()
    {
        var p = new SplitPreTokenizer(new LiteralMatcher("-"), SplitBehavior.Contiguous, false);
        Assert.Equal(["The", "-", "final", "--", "countdown"], Run(p, "The-final--countdown"));
    }

    [Fact]
    public void Digits_isolates_each_digit_or_each_run()
    {
        Assert.Equal(["Hey ", "1", "2", "3", " friend!"], Run(new DigitsPreTokenizer(true), "Hey 123 friend!"));
        Assert.Equal(["Hey ", "123", " friend!"], Run(new DigitsPreTokenizer(false), "Hey 123 friend!"));
    }

    [Fact]
    public void Byte_level_maps_bytes_to_the_gpt2_alphabet_after_the_gpt2_split()
    {
        var p = new ByteLevelPreTokenizer(addPrefixSpace: true, useRegex: true);
        Assert.Equal(["ĠHello", "Ġmy", "Ġfriend", ",", "Ġhow", "Ġis", "Ġyour", "Ġday", "Ġgoing", "?"], Run(p, "Hello my friend, how is your day going?"));
        Assert.Equal(["ĠĠ", "Ġa", "ĠâĤ¬"], Run(p, "   a €"));
    }
}

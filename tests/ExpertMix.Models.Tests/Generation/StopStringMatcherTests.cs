// StopStringMatcher: stop strings split across pieces, false alarms, overlapping prefixes, earliest match, unicode.
using System.Text;
using ExpertMix.Models.Generation;

namespace ExpertMix.Models.Tests.Generation;

public class StopStringMatcherTests
{
    private static (string Emitted, bool Stopped, int StoppedAt) Feed(StopStringMatcher m, IEnumerable<string> pieces)
    {
        var sb = new StringBuilder();
        int i = 0, stoppedAt = -1;
        foreach (var p in pieces)
        {
            var r = m.Push(p);
            sb.Append(r.Text);
            if (r.Stopped && stoppedAt < 0) stoppedAt = i;
            i++;
        }
        if (!m.Stopped) sb.Append(m.Flush());
        return (sb.ToString(), m.Stopped, stoppedAt);
    }

    [Fact]
    public void Without_stop_strings_text_passes_straight_through()
    {
        var m = new StopStringMatcher([]);
        Assert.Equal(new StopMatch("Hello", false), m.Push("Hello"));
        Assert.Equal(new StopMatch(" world", false), m.Push(" world"));
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void A_stop_string_inside_one_piece_cuts_the_output_before_it()
    {
        var m = new StopStringMatcher(["###"]);
        Assert.Equal(new StopMatch("Hello", true), m.Push("Hello###world"));
        Assert.Equal("###", m.MatchedStopString);
        Assert.Equal(new StopMatch("", true), m.Push("more"));
    }

    [Fact]
    public void A_stop_string_split_across_many_pieces_is_held_back_and_never_emitted()
    {
        var m = new StopStringMatcher(["<|im_end|>"]);
        Assert.Equal(new StopMatch("Hi ", false), m.Push("Hi <|"));
        Assert.Equal("<|", m.HeldText);
        Assert.Equal(new StopMatch("", false), m.Push("im"));
        Assert.Equal(new StopMatch("", false), m.Push("_en"));
        Assert.Equal(new StopMatch("", true), m.Push("d|>tail"));
    }

    [Fact]
    public void A_false_alarm_prefix_is_released_once_it_cannot_match()
    {
        var m = new StopStringMatcher(["###"]);
        Assert.Equal(new StopMatch("a", false), m.Push("a#"));
        Assert.Equal(new StopMatch("", false), m.Push("#"));
        Assert.Equal(new StopMatch("##b", false), m.Push("b"));
        Assert.Equal(new StopMatch("c", false), m.Push("c"));
    }

    [Fact]
    public void Overlapping_prefixes_find_the_match_that_starts_inside_the_held_text()
    {
        // "aab" inside "aaab": the held "aa" must keep its last "a" as a possible start.
        var (emitted, stopped, at) = Feed(new StopStringMatcher(["aab"]), ["a", "a", "a", "b", "c"]);
        Assert.Equal(("a", true, 3), (emitted, stopped, at));
        // stops sharing prefixes / suffixes: the earliest start wins.
        var (e2, s2, _) = Feed(new StopStringMatcher(["bcd", "abc"]), ["x", "ab", "cd"]);
        Assert.Equal(("x", true), (e2, s2));
        var (e3, _, _) = Feed(new StopStringMatcher(["END", "\n\n"]), ["foo", "\n", "\nbar END"]);
        Assert.Equal("foo", e3);
    }

    [Fact]
    public void Unicode_stop_strings_and_split_surrogate_pairs_are_handled()
    {
        var m = new StopStringMatcher(["🛑", "。\n"]);
        Assert.Equal(new StopMatch("ok ", false), m.Push("ok \uD83D")); // the high surrogate waits for its pair
        Assert.Equal(new StopMatch("", true), m.Push("\uDED1 more"));

        var passthrough = new StopStringMatcher([]);
        Assert.Equal("a", passthrough.Push("a\uD83D").Text);
        Assert.Equal("😀", passthrough.Push("\uDE00").Text);

        var (e, s, _) = Feed(new StopStringMatcher(["。\n"]), ["你好", "世界。", "\n再见"]);
        Assert.Equal(("你好世界", true), (e, s));
    }

    [Fact]
    public void Random_splits_always_emit_exactly_the_text_before_the_earliest_stop()
    {
        var rng = new Random(17);
        string[] stops = ["ab", "bab", "cc", "ääb", "\n\n"];
        const string alphabet = "abcä\n ";
        for (int trial = 0; trial < 2000; trial++)
        {
            var text = new string(Enumerable.Range(0, rng.Next(0, 30)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            int cut = text.Length;
            foreach (var s in stops)
            {
                int at = text.IndexOf(s, StringComparison.Ordinal);
                if (at >= 0) cut = Math.Min(cut, at);
            }
            var pieces = new List<string>();
            for (int i = 0; i < text.Length;)
            {
                int n = Math.Min(rng.Next(1, 5), text.Length - i);
                pieces.Add(text.Substring(i, n));
                i += n;
            }
            var (emitted, stopped, _) = Feed(new StopStringMatcher(stops), pieces);
            Assert.Equal(text[..cut], emitted);
            Assert.Equal(cut < text.Length, stopped);
        }
    }

    [Fact]
    public void Empty_stop_strings_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new StopStringMatcher(["x", ""]));
    }
}

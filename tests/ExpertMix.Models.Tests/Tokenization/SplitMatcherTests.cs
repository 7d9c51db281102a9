// The hand-written GPT-2 / Llama-3 / Qwen split scanners agree with .NET's regex engine running the same patterns.
using System.Text.RegularExpressions;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class SplitMatcherTests
{
    public static TheoryData<string> Patterns => new() { KnownPatternMatcher.Gpt2Regex, KnownPatternMatcher.Llama3Regex, KnownPatternMatcher.Qwen2Regex };

    [SkippableTheory]
    [MemberData(nameof(Patterns))]
    public void Scanner_matches_dotnet_regex_on_every_golden_text_without_astral_characters(string pattern)
    {
        var scanner = KnownPatternMatcher.TryCreate(pattern)!;
        var regex = new RegexMatcher(new Regex(pattern, RegexOptions.CultureInvariant));
        int compared = 0;
        var extra = new[] { "IT'S 'Re 'LL ſ's", "a\u00a0b\u2003 c\r\n\r\n  d", "1234567 ١٢٣٤", "x  \n\t y", "'", " '", "??!\n\n" };
        foreach (string text in TokenizerFixtures.ReadJsonl("tokenizers/gpt2/golden.jsonl").Select(r => r.GetProperty("text").GetString()!).Concat(extra))
        {
            if (text.Any(char.IsSurrogate)) continue;
            var a = new List<(int, int)>();
            var b = new List<(int, int)>();
            scanner.FindMatches(text, a);
            regex.FindMatches(text, b);
            Assert.True(a.SequenceEqual(b), $"{TokenizerFixtures.Show(text)}: scanner {string.Join(" ", a)} vs regex {string.Join(" ", b)}");
            compared++;
        }
        Assert.True(compared > 400, $"only {compared} texts compared");
    }
}

// NFC/NFD/NFKC/NFKD against Python's unicodedata (the expected strings below were printed by:
//   /usr/bin/python3 -c "import unicodedata as u; print([u.normalize(f, s) for f in ('NFC','NFD','NFKC','NFKD')])").
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class UnicodeNormalizationTests
{
    [Theory]
    [InlineData("cafe\u0301", "caf\u00E9", "cafe\u0301", "caf\u00E9", "cafe\u0301")]
    [InlineData("\u212B\u2126", "\u00C5\u03A9", "A\u030A\u03A9", "\u00C5\u03A9", "A\u030A\u03A9")]
    [InlineData("\uFB01\u2460\uFF11", "\uFB01\u2460\uFF11", "\uFB01\u2460\uFF11", "fi11", "fi11")]
    [InlineData("\u1100\u1161\u11A8", "\uAC01", "\u1100\u1161\u11A8", "\uAC01", "\u1100\u1161\u11A8")]
    [InlineData("\uAC01", "\uAC01", "\u1100\u1161\u11A8", "\uAC01", "\u1100\u1161\u11A8")]
    [InlineData("a\u0328\u0301\u0323", "\u0105\u0323\u0301", "a\u0328\u0323\u0301", "\u0105\u0323\u0301", "a\u0328\u0323\u0301")]
    [InlineData("\u0B47\u0B3E", "\u0B4B", "\u0B47\u0B3E", "\u0B4B", "\u0B47\u0B3E")]
    [InlineData("e\u0301\u0301\u0327", "\u0229\u0301\u0301", "e\u0327\u0301\u0301", "\u0229\u0301\u0301", "e\u0327\u0301\u0301")]
    [InlineData("\U0001D4B3x", "\U0001D4B3x", "\U0001D4B3x", "Xx", "Xx")]
    [InlineData("\u0958", "\u0915\u093C", "\u0915\u093C", "\u0915\u093C", "\u0915\u093C")]
    public void Normalization_forms_match_python_unicodedata(string input, string nfc, string nfd, string nfkc, string nfkd)
    {
        Assert.Equal(nfc, UnicodeNormalization.Normalize(input, UnicodeForm.Nfc));
        Assert.Equal(nfd, UnicodeNormalization.Normalize(input, UnicodeForm.Nfd));
        Assert.Equal(nfkc, UnicodeNormalization.Normalize(input, UnicodeForm.Nfkc));
        Assert.Equal(nfkd, UnicodeNormalization.Normalize(input, UnicodeForm.Nfkd));
    }

    [Fact]
    public void Ascii_input_is_returned_unchanged()
    {
        const string s = "plain ASCII text";
        Assert.Same(s, UnicodeNormalization.Normalize(s, UnicodeForm.Nfkc));
    }
}

// tokenizer.json "normalizer" section: NFC/NFD/NFKC/NFKD, Prepend, Replace, Lowercase, Strip, StripAccents, Sequence.
using System.Globalization;
using System.Text;

namespace ExpertMix.Models.Tokenization;

/// <summary>A text → text normalization step applied to each piece of input between added tokens.</summary>
internal interface INormalizer
{
    string Normalize(string s);
}

/// <summary>Unicode normalization form (NFC, NFD, NFKC, NFKD).</summary>
internal sealed class UnicodeNormalizer(UnicodeForm form) : INormalizer
{
    public string Normalize(string s) => UnicodeNormalization.Normalize(s, form);
}

/// <summary>Prepend: adds <c>prepend</c> in front of a non-empty string.</summary>
internal sealed class PrependNormalizer(string prepend) : INormalizer
{
    public string Normalize(string s) => s.Length == 0 ? s : prepend + s;
}

/// <summary>Replace: every match of the pattern (literal or regex) becomes <c>content</c>.</summary>
internal sealed class ReplaceNormalizer(ISplitMatcher pattern, string content) : INormalizer
{
    public string Normalize(string s) => ReplaceAll(pattern, content, s);

    /// <summary>Replaces every match of <paramref name="pattern"/> in <paramref name="s"/> by <paramref name="content"/>.</summary>
    public static string ReplaceAll(ISplitMatcher pattern, string content, string s)
    {
        if (pattern is LiteralMatcher lit) return lit.Replace(s, content);
        var matches = new List<(int Start, int End)>();
        pattern.FindMatches(s, matches);
        if (matches.Count == 0) return s;
        var sb = new StringBuilder(s.Length);
        int prev = 0;
        foreach (var (start, end) in matches)
        {
            sb.Append(s, prev, start - prev).Append(content);
            prev = end;
        }
        return sb.Append(s, prev, s.Length - prev).ToString();
    }
}

/// <summary>Lowercase (invariant simple case mapping).</summary>
internal sealed class LowercaseNormalizer : INormalizer
{
    public string Normalize(string s) => s.ToLowerInvariant();
}

/// <summary>Strip: removes leading and/or trailing Unicode whitespace.</summary>
internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    public string Normalize(string s)
    {
        int a = 0, b = s.Length;
        if (left) while (a < b && KnownPatternMatcher.IsWhiteSpace(s[a])) a++;
        if (right) while (b > a && KnownPatternMatcher.IsWhiteSpace(s[b - 1])) b--;
        return a == 0 && b == s.Length ? s : s[a..b];
    }
}

/// <summary>StripAccents: removes nonspacing marks (category Mn), as used after NFD.</summary>
internal sealed class StripAccentsNormalizer : INormalizer
{
    public string Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>Sequence: the normalizers in order.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<INormalizer> steps) : INormalizer
{
    public string Normalize(string s)
    {
        foreach (var n in steps) s = n.Normalize(s);
        return s;
    }
}

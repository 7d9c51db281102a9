// Pattern matchers for Split pre-tokenizers: literal strings, .NET regexes, and hand-written scanners that match
// the GPT-2 / Llama-3 / Qwen split regexes exactly (per code point, as Oniguruma does) and fast.
using System.Globalization;
using System.Text.RegularExpressions;

namespace ExpertMix.Models.Tokenization;

/// <summary>Finds the non-overlapping matches of a split pattern, left to right.</summary>
internal interface ISplitMatcher
{
    /// <summary>Appends (start, end) char ranges of every match in <paramref name="s"/>.</summary>
    void FindMatches(string s, List<(int Start, int End)> matches);
}

/// <summary>A literal string pattern (ordinal).</summary>
internal sealed class LiteralMatcher(string literal) : ISplitMatcher
{
    public void FindMatches(string s, List<(int Start, int End)> matches)
    {
        if (literal.Length == 0) return;
        int i = 0;
        while (i <= s.Length - literal.Length)
        {
            int at = s.IndexOf(literal, i, StringComparison.Ordinal);
            if (at < 0) break;
            matches.Add((at, at + literal.Length));
            i = at + literal.Length;
        }
    }

    /// <summary>Ordinal replace of every occurrence (non-overlapping, left to right).</summary>
    public string Replace(string s, string content) => literal.Length == 0 ? s : s.Replace(literal, content, StringComparison.Ordinal);
}

/// <summary>A general regex, run with .NET's engine (UTF-16 based: \p{L} does not see astral letters).</summary>
internal sealed class RegexMatcher(Regex regex) : ISplitMatcher
{
    public void FindMatches(string s, List<(int Start, int End)> matches)
    {
        for (var m = regex.Match(s); m.Success; m = m.NextMatch()) matches.Add((m.Index, m.Index + m.Length));
    }
}

/// <summary>Which hand-written scanner to run.</summary>
internal enum KnownSplitPattern
{
    /// <summary><c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c></summary>
    Gpt2,

    /// <summary><c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c></summary>
    Llama3,

    /// <summary>As <see cref="Llama3"/> with <c>\p{N}</c> (single digits).</summary>
    Qwen2,
}

/// <summary>
/// Scanners equivalent to the leftmost-first alternations of the known split regexes. Each position tries the
/// alternatives in regex order; every code point belongs to exactly one of letter (L), number (N), whitespace,
/// other, so some alternative always matches and the matches tile the input.
/// </summary>
internal sealed class KnownPatternMatcher(KnownSplitPattern kind) : ISplitMatcher
{
    public const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string Llama3Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const byte Letter = 1, Number = 2, Space = 3, Other = 4;

    /// <summary>The scanner for <paramref name="pattern"/>, or null when it is not one of the known regexes.</summary>
    public static KnownPatternMatcher? TryCreate(string pattern) => pattern switch
    {
        Gpt2Regex => new KnownPatternMatcher(KnownSplitPattern.Gpt2),
        Llama3Regex => new KnownPatternMatcher(KnownSplitPattern.Llama3),
        Qwen2Regex => new KnownPatternMatcher(KnownSplitPattern.Qwen2),
        _ => null,
    };

    public void FindMatches(string s, List<(int Start, int End)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            int end = kind == KnownSplitPattern.Gpt2 ? MatchGpt2(s, i) : MatchLlama3(s, i, kind == KnownSplitPattern.Llama3 ? 3 : 1);
            matches.Add((i, end));
            i = end;
        }
    }

    private static int MatchGpt2(string s, int i)
    {
        int c = Contraction(s, i, ignoreCase: false);
        if (c > 0) return i + c;
        byte k = ClassAt(s, i, out _);
        if (s[i] == ' ' && i + 1 < s.Length)
        {
            byte next = ClassAt(s, i + 1, out _);
            if (next is Letter or Number or Other) return Run(s, i + 1, next);
        }
        if (k is Letter or Number or Other) return Run(s, i, k);
        return WhitespaceTail(s, i);
    }

    private static int MatchLlama3(string s, int i, int maxDigits)
    {
        int c = Contraction(s, i, ignoreCase: true);
        if (c > 0) return i + c;
        byte k = ClassAt(s, i, out int w);
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (k == Letter) return Run(s, i, Letter);
        if (k != Number && s[i] != '\r' && s[i] != '\n' && i + w < s.Length && ClassAt(s, i + w, out _) == Letter) return Run(s, i + w, Letter);
        // \p{N}{1,maxDigits}
        if (k == Number)
        {
            int j = i;
            for (int n = 0; n < maxDigits && j < s.Length && ClassAt(s, j, out int dw) == Number; n++) j += dw;
            return j;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        int start = -1;
        if (s[i] == ' ' && i + 1 < s.Length && ClassAt(s, i + 1, out _) == Other) start = i + 1;
        else if (k == Other) start = i;
        if (start >= 0)
        {
            int j = Run(s, start, Other);
            while (j < s.Length && (s[j] == '\r' || s[j] == '\n')) j++;
            return j;
        }
        // Whitespace from here on. \s*[\r\n]+ : up to and including the last \r or \n of the whitespace run.
        int runEnd = Run(s, i, Space);
        for (int j = runEnd - 1; j >= i; j--)
        {
            if (s[j] == '\r' || s[j] == '\n') return j + 1;
        }
        return WhitespaceTail(s, i);
    }

    /// <summary><c>\s+(?!\S)|\s+</c> at a whitespace position.</summary>
    private static int WhitespaceTail(string s, int i)
    {
        int runEnd = Run(s, i, Space);
        if (runEnd == s.Length) return runEnd;
        // Give back the last whitespace char (all are BMP) so that (?!\S) holds, if at least one char remains.
        return runEnd - 1 > i ? runEnd - 1 : runEnd;
    }

    private static int Run(string s, int i, byte cls)
    {
        while (i < s.Length && ClassAt(s, i, out int w) == cls) i += w;
        return i;
    }

    /// <summary>Length of a contraction ('s 't 're 've 'm 'll 'd) at <paramref name="i"/>, or 0.</summary>
    private static int Contraction(string s, int i, bool ignoreCase)
    {
        if (s[i] != '\'' || i + 1 >= s.Length) return 0;
        char a = Fold(s[i + 1], ignoreCase);
        if (a is 's' or 't' or 'm' or 'd') return 2;
        if (i + 2 >= s.Length) return 0;
        char b = Fold(s[i + 2], ignoreCase);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
        return 0;
    }

    private static char Fold(char c, bool ignoreCase)
    {
        if (!ignoreCase) return c;
        if (c is >= 'A' and <= 'Z') return (char)(c + 32);
        return c == '\u017F' ? 's' : c; // LATIN SMALL LETTER LONG S case-folds to 's'
    }

    /// <summary>Class of the code point at <paramref name="i"/> and its width in chars (2 for a surrogate pair).</summary>
    private static byte ClassAt(string s, int i, out int width)
    {
        char ch = s[i];
        width = 1;
        if (ch < 128) return AsciiClass[ch];
        int cp = ch;
        if (char.IsHighSurrogate(ch) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            cp = char.ConvertToUtf32(ch, s[i + 1]);
            width = 2;
        }
        return Classify(cp);
    }

    private static readonly byte[] AsciiClass = BuildAscii();

    private static byte[] BuildAscii()
    {
        var t = new byte[128];
        for (int c = 0; c < 128; c++) t[c] = Classify(c);
        return t;
    }

    private static byte Classify(int cp)
    {
        if (IsWhiteSpace(cp)) return Space;
        switch (CharUnicodeInfo.GetUnicodeCategory(cp))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return Number;
            default:
                return Other;
        }
    }

    /// <summary>Unicode White_Space (what Oniguruma's <c>\s</c> matches).</summary>
    internal static bool IsWhiteSpace(int cp) => cp is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680
        or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}

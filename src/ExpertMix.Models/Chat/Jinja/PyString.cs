// Python str semantics the templates rely on: isspace, strip family, split/rsplit, splitlines, code-point indexing, title, float repr.
using System.Globalization;
using System.Text;

namespace ExpertMix.Models.Chat.Jinja;

/// <summary>Python string and float-formatting semantics (CPython 3.11), on UTF-16 strings indexed by code point.</summary>
internal static class PyString
{
    /// <summary>Python <c>str.isspace</c> for one UTF-16 unit (BMP whitespace, including \x1c-\x1f).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    /// <summary><c>s.rstrip()</c>.</summary>
    public static string RStrip(string s)
    {
        int end = s.Length;
        while (end > 0 && IsSpace(s[end - 1])) end--;
        return s[..end];
    }

    /// <summary><c>s.strip(chars)</c> / <c>lstrip</c> / <c>rstrip</c>; null chars = whitespace.</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        bool Strippable(char c) => chars is null ? IsSpace(c) : chars.Contains(c, StringComparison.Ordinal);
        int start = 0, end = s.Length;
        if (left)
        {
            while (start < end && Strippable(s[start])) start++;
        }
        if (right)
        {
            while (end > start && Strippable(s[end - 1])) end--;
        }
        return s[start..end];
    }

    /// <summary>True when the string has surrogate pairs (so UTF-16 index ≠ code-point index).</summary>
    public static bool HasSurrogates(string s)
    {
        foreach (var c in s)
        {
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    /// <summary>The code points of <paramref name="s"/> as strings (one or two UTF-16 units each).</summary>
    public static List<string> CodePoints(string s)
    {
        var r = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                r.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                r.Add(s[i].ToString());
            }
        }
        return r;
    }

    /// <summary>Python <c>len(s)</c>: code points.</summary>
    public static int Length(string s) => HasSurrogates(s) ? CodePoints(s).Count : s.Length;

    /// <summary>Code-point index of UTF-16 index <paramref name="utf16Index"/>.</summary>
    public static int CodePointIndex(string s, int utf16Index)
    {
        int n = 0;
        for (int i = 0; i < utf16Index; i++)
        {
            if (!(char.IsLowSurrogate(s[i]) && i > 0 && char.IsHighSurrogate(s[i - 1]))) n++;
        }
        return n;
    }

    /// <summary><c>s.split(sep, maxsplit)</c>; a null separator splits on whitespace runs.</summary>
    /// <exception cref="ArgumentException">Empty separator (Python's ValueError).</exception>
    public static List<string> Split(string s, string? sep, long maxSplit)
    {
        var r = new List<string>();
        if (sep is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && r.Count == maxSplit)
                {
                    r.Add(s[i..]);
                    break;
                }
                int j = i;
                while (j < s.Length && !IsSpace(s[j])) j++;
                r.Add(s[i..j]);
                i = j;
            }
            return r;
        }
        if (sep.Length == 0) throw new ArgumentException("empty separator");
        int start = 0;
        while (maxSplit < 0 || r.Count < maxSplit)
        {
            int k = s.IndexOf(sep, start, StringComparison.Ordinal);
            if (k < 0) break;
            r.Add(s[start..k]);
            start = k + sep.Length;
        }
        r.Add(s[start..]);
        return r;
    }

    /// <summary><c>s.rsplit(sep, maxsplit)</c>.</summary>
    public static List<string> RSplit(string s, string? sep, long maxSplit)
    {
        if (maxSplit < 0) return Split(s, sep, maxSplit);
        var r = new List<string>();
        if (sep is null)
        {
            int i = s.Length;
            while (true)
            {
                while (i > 0 && IsSpace(s[i - 1])) i--;
                if (i <= 0) break;
                if (r.Count == maxSplit)
                {
                    r.Add(s[..i]);
                    break;
                }
                int j = i;
                while (j > 0 && !IsSpace(s[j - 1])) j--;
                r.Add(s[j..i]);
                i = j;
            }
            r.Reverse();
            return r;
        }
        if (sep.Length == 0) throw new ArgumentException("empty separator");
        int end = s.Length;
        while (r.Count < maxSplit)
        {
            int k = end - sep.Length < 0 ? -1 : s.LastIndexOf(sep, end - 1, end, StringComparison.Ordinal);
            if (k < 0) break;
            r.Add(s[(k + sep.Length)..end]);
            end = k;
        }
        r.Add(s[..end]);
        r.Reverse();
        return r;
    }

    /// <summary><c>s.splitlines(keepends)</c> with Python's line boundaries.</summary>
    public static List<string> SplitLines(string s, bool keepEnds = false)
    {
        var r = new List<string>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            bool boundary = c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';
            if (!boundary)
            {
                i++;
                continue;
            }
            int eol = c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? i + 2 : i + 1;
            r.Add(keepEnds ? s[start..eol] : s[start..i]);
            start = i = eol;
        }
        if (start < s.Length) r.Add(s[start..]);
        return r;
    }

    /// <summary>Python <c>str.upper()</c>: invariant mapping plus the full (one-to-many) mappings of ß and the Latin ligatures.</summary>
    public static string Upper(string s)
    {
        var up = s.ToUpperInvariant();
        if (!up.Any(c => c is 'ß' or (>= '\ufb00' and <= '\ufb06'))) return up;
        var sb = new StringBuilder(up.Length + 4);
        foreach (var c in up)
        {
            sb.Append(c switch
            {
                'ß' => "SS",
                '\ufb00' => "FF",
                '\ufb01' => "FI",
                '\ufb02' => "FL",
                '\ufb03' => "FFI",
                '\ufb04' => "FFL",
                '\ufb05' or '\ufb06' => "ST",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    /// <summary>Python <c>str.lower()</c>: invariant mapping plus İ → i̇.</summary>
    public static string Lower(string s) => s.Replace("\u0130", "i\u0307", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>Python <c>str.title()</c>: upper after a non-cased character, lower otherwise.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (var c in s)
        {
            bool cased = char.IsUpper(c) || char.IsLower(c) || char.GetUnicodeCategory(c) == UnicodeCategory.TitlecaseLetter;
            sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevCased = cased;
        }
        return sb.ToString();
    }

    /// <summary>Python <c>str.capitalize()</c>.</summary>
    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python <c>repr(float)</c>: shortest round-trip digits, exponent form below 1e-4 or from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        string r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int e = 0;
        int ePos = r.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            e = int.Parse(r[(ePos + 1)..], CultureInfo.InvariantCulture);
            r = r[..ePos];
        }
        int dot = r.IndexOf('.', StringComparison.Ordinal);
        string intPart = dot < 0 ? r : r[..dot], frac = dot < 0 ? "" : r[(dot + 1)..];
        string all = intPart + frac;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0') lead++;
        string digits = all[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int decpt = intPart.Length + e - lead;
        var sb = new StringBuilder();
        if (d < 0) sb.Append('-');
        if (decpt > 16 || decpt < -3)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            int exp = decpt - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decpt <= 0)
        {
            sb.Append("0.").Append('0', -decpt).Append(digits);
        }
        else if (decpt >= digits.Length)
        {
            sb.Append(digits).Append('0', decpt - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
        }
        return sb.ToString();
    }

    /// <summary>Python <c>repr(str)</c>: single quotes unless the text has ' and no ", escapes for non-printables.</summary>
    public static string Repr(string s)
    {
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == quote || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                int cp = char.ConvertToUtf32(c, s[i + 1]);
                var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
                if (IsPrintableCategory(cat)) sb.Append(c).Append(s[i + 1]);
                else sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                i++;
            }
            else if (c == ' ' || IsPrintableCategory(char.GetUnicodeCategory(c)))
            {
                sb.Append(c);
            }
            else if (c < 0x100)
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }
        return sb.Append(quote).ToString();
    }

    private static bool IsPrintableCategory(UnicodeCategory cat) => cat is not (UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
}

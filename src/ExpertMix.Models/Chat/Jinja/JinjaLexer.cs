// Jinja2 lexer: text/tag splitting with jinja2's whitespace control (-, +, trim_blocks, lstrip_blocks) and expression tokens.
using System.Globalization;
using System.Text;

namespace ExpertMix.Models.Chat.Jinja;

/// <summary>Token kinds produced by <see cref="JinjaLexer"/>.</summary>
internal enum TokenKind
{
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    Eof,
}

/// <summary>One token with its 1-based source position. <see cref="Value"/> holds the text, or the parsed literal.</summary>
internal sealed record Token(TokenKind Kind, string Text, object? Value, int Line, int Column)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.BlockEnd => "end of statement block",
        _ => Text,
    };
}

/// <summary>
/// Splits a template into tokens exactly as jinja2's lexer does with <c>trim_blocks=True, lstrip_blocks=True</c>:
/// newlines are normalised to \n and one trailing newline is dropped; <c>{%-</c>/<c>{{-</c>/<c>{#-</c> strip all
/// whitespace before the tag, <c>-%}</c>/<c>-}}</c>/<c>-#}</c> all whitespace after it; a block or comment tag alone
/// on its line (not <c>{%+</c>) loses the indentation before it; <c>%}</c>/<c>#}</c> (not <c>+%}</c>) eat one
/// following newline. Inside brackets the end markers are ordinary operators.
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] Operators =
    [
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
        ">", "<", "=", ".", ":", "|", ",", ";",
    ];

    private readonly string _src;
    private readonly List<Token> _tokens = [];
    private readonly int[] _lineStarts;
    private int _pos;

    private JinjaLexer(string source)
    {
        _src = Normalize(source);
        var starts = new List<int> { 0 };
        for (int i = 0; i < _src.Length; i++)
        {
            if (_src[i] == '\n') starts.Add(i + 1);
        }
        _lineStarts = [.. starts];
    }

    /// <summary>Tokenizes <paramref name="source"/>.</summary>
    /// <exception cref="ChatTemplateSyntaxException">Unterminated tags, strings or comments, or unknown characters.</exception>
    public static List<Token> Tokenize(string source)
    {
        var lexer = new JinjaLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private static string Normalize(string source)
    {
        var s = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    private (int Line, int Column) Position(int offset)
    {
        int idx = Array.BinarySearch(_lineStarts, offset);
        if (idx < 0) idx = ~idx - 1;
        return (idx + 1, offset - _lineStarts[idx] + 1);
    }

    private ChatTemplateSyntaxException Error(string message, int offset)
    {
        var (line, col) = Position(offset);
        return new ChatTemplateSyntaxException(message, line, col);
    }

    private void Add(TokenKind kind, string text, object? value, int offset)
    {
        var (line, col) = Position(offset);
        _tokens.Add(new Token(kind, text, value, line, col));
    }

    private void Run()
    {
        bool lineStarting = true;
        while (_pos < _src.Length)
        {
            int tag = FindTagStart(_pos);
            if (tag < 0)
            {
                Add(TokenKind.Data, _src[_pos..], null, _pos);
                break;
            }
            char kind = _src[tag + 1];
            char sign = tag + 2 < _src.Length && (_src[tag + 2] == '-' || _src[tag + 2] == '+') ? _src[tag + 2] : '\0';
            string text = _src[_pos..tag];
            if (sign == '-')
            {
                text = PyString.RStrip(text);
            }
            else if (sign != '+' && kind != '{')
            {
                int lpos = text.LastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.Length && IsAllSpace(text, lpos)) text = text[..lpos];
            }
            if (text.Length > 0) Add(TokenKind.Data, text, null, _pos);
            int after = tag + 2 + (sign != '\0' ? 1 : 0);
            if (kind == '#')
            {
                lineStarting = LexComment(tag, after);
            }
            else if (kind == '%' && TryRaw(tag, after, out bool rawLineStarting))
            {
                lineStarting = rawLineStarting;
            }
            else
            {
                lineStarting = LexTag(kind == '%', tag, after);
            }
        }
        Add(TokenKind.Eof, "", null, _src.Length);
    }

    private int FindTagStart(int from)
    {
        for (int i = from; i + 1 < _src.Length; i++)
        {
            if (_src[i] == '{' && (_src[i + 1] == '{' || _src[i + 1] == '%' || _src[i + 1] == '#')) return i;
        }
        return -1;
    }

    private static bool IsAllSpace(string s, int from)
    {
        for (int i = from; i < s.Length; i++)
        {
            if (!PyString.IsSpace(s[i])) return false;
        }
        return true;
    }

    /// <summary>Matches an end marker at <paramref name="i"/> (<c>+X}</c>, <c>-X}\s*</c>, <c>X}\n?</c>); returns the end offset or -1.</summary>
    private int MatchEnd(int i, char marker, bool trimNewline)
    {
        if (i + 2 < _src.Length && _src[i] == '+' && _src[i + 1] == marker && _src[i + 2] == '}') return i + 3;
        if (i + 2 < _src.Length && _src[i] == '-' && _src[i + 1] == marker && _src[i + 2] == '}')
        {
            int j = i + 3;
            while (j < _src.Length && PyString.IsSpace(_src[j])) j++;
            return j;
        }
        if (i + 1 < _src.Length && _src[i] == marker && _src[i + 1] == '}')
        {
            int j = i + 2;
            if (trimNewline && j < _src.Length && _src[j] == '\n') j++;
            return j;
        }
        return -1;
    }

    private bool LexComment(int tag, int after)
    {
        for (int i = after; i < _src.Length; i++)
        {
            int end = MatchEnd(i, '#', trimNewline: true);
            if (end >= 0)
            {
                _pos = end;
                return _src[end - 1] == '\n';
            }
        }
        throw Error("Missing end of comment tag", tag);
    }

    private bool TryRaw(int tag, int after, out bool lineStarting)
    {
        lineStarting = false;
        int i = SkipSpace(after);
        if (string.CompareOrdinal(_src, i, "raw", 0, 3) != 0) return false;
        i = SkipSpace(i + 3);
        int bodyStart = MatchEnd(i, '%', trimNewline: false);
        if (bodyStart < 0 || _src[i] == '+') return false;
        for (int j = bodyStart; j + 1 < _src.Length; j++)
        {
            if (_src[j] != '{' || _src[j + 1] != '%') continue;
            int k = j + 2;
            bool minus = k < _src.Length && _src[k] == '-';
            if (k < _src.Length && (_src[k] == '-' || _src[k] == '+')) k++;
            k = SkipSpace(k);
            if (string.CompareOrdinal(_src, k, "endraw", 0, 6) != 0) continue;
            k = SkipSpace(k + 6);
            int end = MatchEnd(k, '%', trimNewline: true);
            if (end < 0) continue;
            var body = _src[bodyStart..j];
            if (minus) body = PyString.RStrip(body);
            if (body.Length > 0) Add(TokenKind.Data, body, null, bodyStart);
            _pos = end;
            lineStarting = _src[end - 1] == '\n';
            return true;
        }
        throw Error("Missing end of raw directive", tag);
    }

    private int SkipSpace(int i)
    {
        while (i < _src.Length && PyString.IsSpace(_src[i])) i++;
        return i;
    }

    private bool LexTag(bool block, int tag, int after)
    {
        Add(block ? TokenKind.BlockBegin : TokenKind.VariableBegin, block ? "{%" : "{{", null, tag);
        var balance = new Stack<char>();
        int i = after;
        while (true)
        {
            if (i >= _src.Length) throw Error(block ? "Unexpected end of template (missing '%}')" : "Unexpected end of template (missing '}}')", tag);
            if (balance.Count == 0)
            {
                int end = block ? MatchEnd(i, '%', trimNewline: true) : MatchVariableEnd(i);
                if (end >= 0)
                {
                    Add(block ? TokenKind.BlockEnd : TokenKind.VariableEnd, block ? "%}" : "}}", null, i);
                    _pos = end;
                    return _src[end - 1] == '\n';
                }
            }
            char c = _src[i];
            if (PyString.IsSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiDigit(c))
            {
                i = LexNumber(i);
            }
            else if (char.IsLetter(c) || c == '_')
            {
                int j = i + 1;
                while (j < _src.Length && (char.IsLetterOrDigit(_src[j]) || _src[j] == '_')) j++;
                Add(TokenKind.Name, _src[i..j], null, i);
                i = j;
            }
            else if (c == '\'' || c == '"')
            {
                i = LexString(i);
            }
            else
            {
                string? op = null;
                foreach (var candidate in Operators)
                {
                    if (string.CompareOrdinal(_src, i, candidate, 0, candidate.Length) == 0)
                    {
                        op = candidate;
                        break;
                    }
                }
                if (op is null) throw Error($"unexpected char '{c}' at {i}", i);
                if (op is "(" or "[" or "{")
                {
                    balance.Push(op[0]);
                }
                else if (op is ")" or "]" or "}")
                {
                    char open = op == ")" ? '(' : op == "]" ? '[' : '{';
                    if (balance.Count == 0) throw Error($"unexpected '{op}'", i);
                    char got = balance.Pop();
                    if (got != open) throw Error($"unexpected '{op}', expected '{(got == '(' ? ")" : got == '[' ? "]" : "}")}'", i);
                }
                Add(TokenKind.Operator, op, null, i);
                i += op.Length;
            }
        }
    }

    private int MatchVariableEnd(int i)
    {
        if (i + 2 < _src.Length && _src[i] == '-' && _src[i + 1] == '}' && _src[i + 2] == '}')
        {
            int j = i + 3;
            while (j < _src.Length && PyString.IsSpace(_src[j])) j++;
            return j;
        }
        return i + 1 < _src.Length && _src[i] == '}' && _src[i + 1] == '}' ? i + 2 : -1;
    }

    private int LexNumber(int start)
    {
        int i = DigitRun(start);
        bool isFloat = false;
        if (i + 1 < _src.Length && _src[i] == '.' && char.IsAsciiDigit(_src[i + 1]))
        {
            i = DigitRun(i + 1);
            isFloat = true;
        }
        if (i < _src.Length && (_src[i] == 'e' || _src[i] == 'E'))
        {
            int j = i + 1;
            if (j < _src.Length && (_src[j] == '+' || _src[j] == '-')) j++;
            if (j < _src.Length && char.IsAsciiDigit(_src[j]))
            {
                i = DigitRun(j);
                isFloat = true;
            }
        }
        string text = _src[start..i];
        string clean = text.Replace("_", "", StringComparison.Ordinal);
        if (isFloat)
        {
            Add(TokenKind.Float, text, double.Parse(clean, NumberStyles.Float, CultureInfo.InvariantCulture), start);
        }
        else
        {
            if (!long.TryParse(clean, NumberStyles.None, CultureInfo.InvariantCulture, out long value)) throw Error($"integer literal {text} is too large", start);
            Add(TokenKind.Integer, text, value, start);
        }
        return i;
    }

    private int DigitRun(int i)
    {
        while (i < _src.Length && (char.IsAsciiDigit(_src[i]) || (_src[i] == '_' && i + 1 < _src.Length && char.IsAsciiDigit(_src[i + 1])))) i++;
        return i;
    }

    private int LexString(int start)
    {
        char quote = _src[start];
        var sb = new StringBuilder();
        int i = start + 1;
        while (true)
        {
            if (i >= _src.Length) throw Error("unexpected end of string", start);
            char c = _src[i];
            if (c == quote) break;
            if (c != '\\')
            {
                sb.Append(c);
                i++;
                continue;
            }
            if (i + 1 >= _src.Length) throw Error("unexpected end of string", start);
            char e = _src[i + 1];
            i += 2;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'a': sb.Append('\a'); break;
                case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                    {
                        int j = i - 1, n = 0, count = 0;
                        while (count < 3 && j < _src.Length && _src[j] >= '0' && _src[j] <= '7')
                        {
                            n = n * 8 + (_src[j] - '0');
                            j++;
                            count++;
                        }
                        sb.Append(char.ConvertFromUtf32(n));
                        i = j;
                        break;
                    }
                case 'x': i = AppendHex(sb, i, 2, start); break;
                case 'u': i = AppendHex(sb, i, 4, start); break;
                case 'U': i = AppendHex(sb, i, 8, start); break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                case '\n': break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        Add(TokenKind.String, _src[start..(i + 1)], sb.ToString(), start);
        return i + 1;
    }

    private int AppendHex(StringBuilder sb, int i, int digits, int start)
    {
        if (i + digits > _src.Length || !int.TryParse(_src.AsSpan(i, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int cp))
        {
            throw Error("invalid \\x, \\u or \\U escape in string literal", start);
        }
        sb.Append(char.ConvertFromUtf32(cp));
        return i + digits;
    }
}

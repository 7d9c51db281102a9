// jinja2's built-in filters used by chat templates (trim, tojson, length, join, map, select*, default, indent, …).
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ExpertMix.Models.Chat.Jinja;

/// <summary>jinja2 filters with jinja2 3.1 semantics; <c>tojson</c> is transformers' override (ensure_ascii=False).</summary>
internal static partial class JinjaFilters
{
    private static readonly HashSet<string> Names =
    [
        "trim", "upper", "lower", "title", "capitalize", "length", "count", "tojson", "join", "first", "last", "list",
        "reverse", "sort", "map", "select", "reject", "selectattr", "rejectattr", "default", "d", "string", "int",
        "float", "items", "dictsort", "replace", "indent", "unique", "min", "max", "sum", "safe", "escape", "e",
        "abs", "round", "format", "wordcount", "center", "batch", "attr",
    ];

    /// <summary>True when <paramref name="name"/> is a known filter.</summary>
    public static bool Exists(string name) => Names.Contains(name);

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginningSplit();

    private sealed class Args(List<object?> positional, List<(string Name, object? Value)> kwargs)
    {
        public int Count => positional.Count;

        /// <summary>Parameter <paramref name="index"/> (after the filtered value) or keyword <paramref name="name"/>.</summary>
        public object? Get(int index, string name, object? fallback)
        {
            foreach (var (n, v) in kwargs)
            {
                if (n == name) return v;
            }
            return index >= 0 && index < positional.Count ? positional[index] : fallback;
        }

        public List<object?> Rest(int from) => positional.Skip(from).ToList();
    }

    /// <summary>Applies filter <paramref name="name"/> to <paramref name="value"/>.</summary>
    /// <exception cref="ChatTemplateException">Bad arguments or operand types.</exception>
    public static object? Apply(string name, object? value, List<object?> positional, List<(string Name, object? Value)> kwargs)
    {
        var a = new Args(positional, kwargs);
        switch (name)
        {
            case "trim": return PyString.Strip(JinjaOps.ToStr(value), a.Get(0, "chars", null) as string, true, true);
            case "upper": return PyString.Upper(JinjaOps.ToStr(value));
            case "lower": return PyString.Lower(JinjaOps.ToStr(value));
            case "capitalize": return PyString.Capitalize(JinjaOps.ToStr(value));
            case "title":
                return string.Concat(WordBeginningSplit().Split(JinjaOps.ToStr(value)).Where(p => p.Length > 0)
                    .Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));
            case "length" or "count": return JinjaOps.Length(value);
            case "tojson":
                {
                    var sep = a.Get(2, "separators", null);
                    string? itemSep = null, keySep = null;
                    if (sep is JinjaList { Count: 2 } sl && sl[0] is string s0 && sl[1] is string s1) (itemSep, keySep) = (s0, s1);
                    return JinjaJson.Dumps(value, JinjaOps.IsTrue(a.Get(0, "ensure_ascii", false)), a.Get(1, "indent", null),
                        itemSep, keySep, JinjaOps.IsTrue(a.Get(3, "sort_keys", false)));
                }
            case "join":
                {
                    var items = Attribute(JinjaOps.Iterate(value), a.Get(1, "attribute", null));
                    return string.Join(JinjaOps.ToStr(a.Get(0, "d", "")), items.Select(JinjaOps.ToStr));
                }
            case "first":
                {
                    var items = JinjaOps.Iterate(value);
                    return items.Count > 0 ? items[0] : Undefined.WithHint("No first item, sequence was empty.", ChatTemplateErrorKind.Undefined);
                }
            case "last":
                {
                    var items = JinjaOps.Iterate(value);
                    return items.Count > 0 ? items[^1] : Undefined.WithHint("No last item, sequence was empty.", ChatTemplateErrorKind.Undefined);
                }
            case "list": return new JinjaList(JinjaOps.Iterate(value));
            case "reverse":
                {
                    if (value is string s) return string.Concat(PyString.CodePoints(s).AsEnumerable().Reverse());
                    var items = JinjaOps.Iterate(value);
                    items.Reverse();
                    return new JinjaList(items);
                }
            case "sort":
                {
                    bool reverse = JinjaOps.IsTrue(a.Get(0, "reverse", false));
                    var key = KeyFunc(JinjaOps.IsTrue(a.Get(1, "case_sensitive", false)), a.Get(2, "attribute", null));
                    var items = JinjaOps.Iterate(value);
                    var sorted = items.Select(x => (Key: key(x), Item: x)).ToList();
                    var ordered = reverse
                        ? sorted.OrderByDescending(p => p.Key, Comparer)
                        : sorted.OrderBy(p => p.Key, Comparer);
                    return new JinjaList(ordered.Select(p => p.Item));
                }
            case "map":
                {
                    var items = JinjaOps.Iterate(value);
                    var attr = a.Get(-1, "attribute", Undefined.Plain);
                    if (attr is not Undefined)
                    {
                        var fallback = a.Get(-1, "default", Undefined.Plain);
                        return new JinjaList(items.Select(x =>
                        {
                            var r = GetPath(x, attr);
                            return r is Undefined && fallback is not Undefined ? fallback : r;
                        }));
                    }
                    if (a.Count == 0 || a.Get(0, "", null) is not string filter) throw JinjaOps.TypeError("map requires a filter argument");
                    if (!Exists(filter)) throw JinjaOps.TypeError($"No filter named '{filter}'.");
                    var rest = a.Rest(1);
                    return new JinjaList(items.Select(x => Apply(filter, x, rest, [])));
                }
            case "select" or "reject":
                return new JinjaList(JinjaOps.Iterate(value).Where(x => RunTest(x, a, 0) == (name == "select")));
            case "selectattr" or "rejectattr":
                {
                    var attr = a.Get(0, "attribute", null);
                    return new JinjaList(JinjaOps.Iterate(value).Where(x => RunTest(GetPath(x, attr), a, 1) == (name == "selectattr")));
                }
            case "default" or "d":
                {
                    bool boolean = JinjaOps.IsTrue(a.Get(1, "boolean", false));
                    bool useDefault = value is Undefined || (boolean && !JinjaOps.IsTrue(value));
                    return useDefault ? a.Get(0, "default_value", "") : value;
                }
            case "string": return JinjaOps.ToStr(value);
            case "int": return ToInt(value, a.Get(0, "default", 0L), a.Get(1, "base", 10L));
            case "float": return ToFloat(value, a.Get(0, "default", 0.0));
            case "items":
                if (value is Undefined) return new JinjaList();
                if (value is not JinjaDict items0) throw JinjaOps.TypeError("Can only get item pairs from a mapping.");
                return new JinjaList(items0.Select(kv => (object?)new JinjaList { kv.Key, kv.Value }.AsTuple()));
            case "dictsort":
                {
                    if (value is not JinjaDict d) throw JinjaOps.TypeError("dictsort filter needs a mapping");
                    bool caseSensitive = JinjaOps.IsTrue(a.Get(0, "case_sensitive", false));
                    var by = a.Get(1, "by", "key") as string;
                    bool reverse = JinjaOps.IsTrue(a.Get(2, "reverse", false));
                    var pairs = d.Select(kv => new JinjaList { kv.Key, kv.Value }.AsTuple()).ToList();
                    var key = KeyFunc(caseSensitive, null);
                    Func<JinjaList, object?> pick = by == "value" ? p => key(p[1]) : p => key(p[0]);
                    var ordered = reverse ? pairs.OrderByDescending(pick, Comparer) : pairs.OrderBy(pick, Comparer);
                    return new JinjaList(ordered.Cast<object?>());
                }
            case "replace":
                {
                    var s = JinjaOps.ToStr(value);
                    var count = a.Get(2, "count", null);
                    var method = (JinjaCallable)JinjaMethods.Bind(s, "replace")!;
                    var args = new List<object?> { JinjaOps.ToStr(a.Get(0, "old", "")), JinjaOps.ToStr(a.Get(1, "new", "")) };
                    if (count is not null) args.Add(count);
                    return method.Invoke(args, []);
                }
            case "indent": return Indent(JinjaOps.ToStr(value), a.Get(0, "width", 4L), JinjaOps.IsTrue(a.Get(1, "first", false)), JinjaOps.IsTrue(a.Get(2, "blank", false)));
            case "unique":
                {
                    var key = KeyFunc(JinjaOps.IsTrue(a.Get(0, "case_sensitive", false)), a.Get(1, "attribute", null));
                    var seen = new List<object?>();
                    var r = new JinjaList();
                    foreach (var x in JinjaOps.Iterate(value))
                    {
                        var k = key(x);
                        if (seen.Any(s => JinjaOps.PyEquals(s, k))) continue;
                        seen.Add(k);
                        r.Add(x);
                    }
                    return r;
                }
            case "min" or "max":
                {
                    var key = KeyFunc(JinjaOps.IsTrue(a.Get(0, "case_sensitive", false)), a.Get(1, "attribute", null));
                    var items = JinjaOps.Iterate(value);
                    if (items.Count == 0) return Undefined.WithHint($"No aggregated item, sequence was empty.", ChatTemplateErrorKind.Undefined);
                    var best = items[0];
                    foreach (var x in items.Skip(1))
                    {
                        int c = Comparer.Compare(key(x), key(best));
                        if (name == "min" ? c < 0 : c > 0) best = x;
                    }
                    return best;
                }
            case "sum":
                {
                    object? total = a.Get(1, "start", 0L);
                    foreach (var x in Attribute(JinjaOps.Iterate(value), a.Get(0, "attribute", null))) total = JinjaOps.Arithmetic("+", total, x);
                    return total;
                }
            case "safe": return value is Undefined ? "" : value;
            case "escape" or "e":
                return JinjaOps.ToStr(value).Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
                    .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
            case "abs": return value is double dv ? Math.Abs(dv) : value is long lv ? (object)Math.Abs(lv) : throw JinjaOps.TypeError($"bad operand type for abs(): '{JinjaOps.TypeName(value)}'");
            case "round": return Round(value, a.Get(0, "precision", 0L), a.Get(1, "method", "common") as string);
            case "format": return PercentFormat(JinjaOps.ToStr(value), new JinjaList(positional));
            case "wordcount": return (long)Regex.Matches(JinjaOps.ToStr(value), @"\w+").Count;
            case "center":
                {
                    var method = (JinjaCallable)JinjaMethods.Bind(JinjaOps.ToStr(value), "center")!;
                    return method.Invoke([a.Get(0, "width", 80L)], []);
                }
            case "batch":
                {
                    long size = a.Get(0, "linecount", 1L) is long n ? n : 1;
                    var fill = a.Get(1, "fill_with", null);
                    var r = new JinjaList();
                    JinjaList? cur = null;
                    foreach (var x in JinjaOps.Iterate(value))
                    {
                        if (cur is null || cur.Count == size) r.Add(cur = []);
                        cur.Add(x);
                    }
                    if (cur is not null && fill is not null) while (cur.Count < size) cur.Add(fill);
                    return r;
                }
            case "attr": return JinjaOps.GetAttr(value, JinjaOps.ToStr(a.Get(0, "name", "")));
            default: throw JinjaOps.TypeError($"No filter named '{name}'.");
        }
    }

    private static readonly Comparer<object?> Comparer = Comparer<object?>.Create((x, y) => JinjaOps.PyCompare(x, y, "<"));

    private static Func<object?, object?> KeyFunc(bool caseSensitive, object? attribute) => x =>
    {
        var v = attribute is null ? x : GetPath(x, attribute);
        return !caseSensitive && v is string s ? PyString.Lower(s) : v;
    };

    private static List<object?> Attribute(List<object?> items, object? attribute) =>
        attribute is null ? items : items.Select(x => GetPath(x, attribute)).ToList();

    /// <summary>jinja2's attribute getter: dotted path, integer parts index lists.</summary>
    private static object? GetPath(object? x, object? attribute)
    {
        if (attribute is long idx) return JinjaOps.GetItem(x, idx);
        foreach (var part in JinjaOps.ToStr(attribute).Split('.'))
        {
            object key = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : part;
            x = JinjaOps.GetItem(x, key);
        }
        return x;
    }

    private static bool RunTest(object? x, Args a, int testIndex)
    {
        if (a.Count <= testIndex) return JinjaOps.IsTrue(x);
        var test = JinjaOps.ToStr(a.Get(testIndex, "", null));
        if (!JinjaTests.Exists(test)) throw JinjaOps.TypeError($"No test named '{test}'.");
        return JinjaTests.Apply(test, x, a.Rest(testIndex + 1));
    }

    private static object? ToInt(object? v, object? fallback, object? numberBase)
    {
        switch (v)
        {
            case long or bool: return v is bool b ? (b ? 1L : 0L) : v;
            case double d: return (long)Math.Truncate(d);
            case string s:
                {
                    var t = s.Trim().Replace("_", "", StringComparison.Ordinal);
                    int radix = numberBase is long r ? (int)r : 10;
                    try
                    {
                        if (radix == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                        if (radix != 10 && t.Length > 0) return Convert.ToInt64(t, radix);
                    }
                    catch (FormatException)
                    {
                        return fallback;
                    }
                    return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && double.IsFinite(f) ? (long)Math.Truncate(f) : fallback;
                }
            default: return fallback;
        }
    }

    private static object? ToFloat(object? v, object? fallback) => v switch
    {
        bool b => b ? 1.0 : 0.0,
        long l => (double)l,
        double d => d,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) => f,
        _ => fallback,
    };

    private static string Indent(string s, object? width, bool first, bool blank)
    {
        string indention = width is string w ? w : new string(' ', (int)(width is long n ? n : 4));
        s += "\n";
        string rv;
        if (blank)
        {
            rv = string.Join("\n" + indention, PyString.SplitLines(s));
        }
        else
        {
            var lines = PyString.SplitLines(s);
            rv = lines.Count > 0 ? lines[0] : "";
            if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l));
        }
        return first ? indention + rv : rv;
    }

    private static object? Round(object? v, object? precision, string? method)
    {
        double x = v switch
        {
            long l => l,
            double d => d,
            bool b => b ? 1 : 0,
            _ => throw JinjaOps.TypeError($"type {JinjaOps.TypeName(v)} doesn't define __round__ method"),
        };
        int p = precision is long pl ? (int)pl : 0;
        double scale = Math.Pow(10, p);
        return method switch
        {
            "common" or null => Math.Round(x, Math.Clamp(p, 0, 15), MidpointRounding.ToEven),
            "floor" => Math.Floor(x * scale) / scale,
            "ceil" => Math.Ceiling(x * scale) / scale,
            _ => throw JinjaOps.TypeError("method must be common, ceil or floor"),
        };
    }

    /// <summary>Python <c>fmt % args</c> for %s %r %d %i %f %x %% with optional width and precision.</summary>
    public static string PercentFormat(string fmt, JinjaList args)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%')
            {
                sb.Append(fmt[i]);
                continue;
            }
            int j = i + 1;
            while (j < fmt.Length && "-+ 0#".Contains(fmt[j], StringComparison.Ordinal)) j++;
            string flags = fmt[(i + 1)..j];
            int ws = j;
            while (j < fmt.Length && char.IsAsciiDigit(fmt[j])) j++;
            int width = j > ws ? int.Parse(fmt[ws..j], CultureInfo.InvariantCulture) : 0;
            int prec = -1;
            if (j < fmt.Length && fmt[j] == '.')
            {
                int ps = ++j;
                while (j < fmt.Length && char.IsAsciiDigit(fmt[j])) j++;
                prec = j > ps ? int.Parse(fmt[ps..j], CultureInfo.InvariantCulture) : 0;
            }
            if (j >= fmt.Length) throw JinjaOps.TypeError("incomplete format");
            char conv = fmt[j];
            i = j;
            if (conv == '%')
            {
                sb.Append('%');
                continue;
            }
            if (next >= args.Count) throw JinjaOps.TypeError("not enough arguments for format string");
            var arg = args[next++];
            string text = conv switch
            {
                's' => JinjaOps.ToStr(arg),
                'r' => JinjaOps.Repr(arg),
                'd' or 'i' => arg is double d ? ((long)Math.Truncate(d)).ToString(CultureInfo.InvariantCulture)
                    : arg is long or bool ? JinjaOps.Repr(JinjaOps.Unary("+", arg)) : throw JinjaOps.TypeError($"%{conv} format: a real number is required, not {JinjaOps.TypeName(arg)}"),
                'f' or 'F' => (arg is long or bool or double ? Convert.ToDouble(JinjaOps.Unary("+", arg), CultureInfo.InvariantCulture) : throw JinjaOps.TypeError("must be real number"))
                    .ToString("F" + (prec < 0 ? 6 : prec).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                'x' => Convert.ToInt64(JinjaOps.Unary("+", arg), CultureInfo.InvariantCulture).ToString("x", CultureInfo.InvariantCulture),
                _ => throw JinjaOps.TypeError($"unsupported format character '{conv}'"),
            };
            if (conv is 's' or 'r' && prec >= 0 && text.Length > prec) text = text[..prec];
            sb.Append(flags.Contains('-', StringComparison.Ordinal) ? text.PadRight(width) : text.PadLeft(width, flags.Contains('0', StringComparison.Ordinal) && conv is not ('s' or 'r') ? '0' : ' '));
        }
        if (next < args.Count) throw JinjaOps.TypeError("not all arguments converted during string formatting");
        return sb.ToString();
    }
}

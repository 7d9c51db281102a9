// Python methods callable from templates on str, dict and list values (s.split(), d.items(), …), with the immutable sandbox's refusals.
using System.Globalization;
using System.Text;

namespace ExpertMix.Models.Chat.Jinja;

/// <summary>Binds <c>value.name</c> to a Python method of str / dict / list, as jinja2's sandbox exposes them.</summary>
internal static class JinjaMethods
{
    private static readonly HashSet<string> UnsafeList = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];
    private static readonly HashSet<string> UnsafeDict = ["clear", "pop", "popitem", "setdefault", "update"];

    /// <summary>The bound method, an undefined carrying the sandbox error for mutating methods, or null when <paramref name="name"/> is not a method.</summary>
    public static object? Bind(object? obj, string name)
    {
        if (name.StartsWith('_')) return obj is string or JinjaList or JinjaDict ? Unsafe(obj, name) : null;
        return obj switch
        {
            string s => StringMethod(s, name),
            JinjaDict d when UnsafeDict.Contains(name) => Unsafe(d, name),
            JinjaDict d => DictMethod(d, name),
            JinjaList l when !l.IsTuple && UnsafeList.Contains(name) => Unsafe(l, name),
            JinjaList l => ListMethod(l, name),
            _ => null,
        };
    }

    private static Undefined Unsafe(object obj, string name) =>
        Undefined.WithHint($"access to attribute '{name}' of '{JinjaOps.TypeName(obj)}' object is unsafe.", ChatTemplateErrorKind.Security);

    private static JinjaCallable Method(string name, Func<List<object?>, List<(string Name, object? Value)>, object?> f) => new(name, f);

    private static object? Arg(List<object?> args, int i, object? fallback = null) => i < args.Count ? args[i] : fallback;

    private static string? OptStr(List<object?> args, int i, string method) => Arg(args, i) switch
    {
        null => null,
        string s => s,
        var v => throw JinjaOps.TypeError($"{method} arg must be None or str, not {JinjaOps.TypeName(v)}"),
    };

    private static string Str(List<object?> args, int i, string method) => Arg(args, i) switch
    {
        string s => s,
        var v => throw JinjaOps.TypeError($"{method}() argument {i + 1} must be str, not {JinjaOps.TypeName(v)}"),
    };

    private static long Int(List<object?> args, int i, long fallback) => Arg(args, i) switch
    {
        null when i >= args.Count => fallback,
        long l => l,
        bool b => b ? 1 : 0,
        var v => throw JinjaOps.TypeError($"'{JinjaOps.TypeName(v)}' object cannot be interpreted as an integer"),
    };

    private static object? StringMethod(string s, string name) => name switch
    {
        "strip" => Method(name, (a, _) => PyString.Strip(s, OptStr(a, 0, name), true, true)),
        "lstrip" => Method(name, (a, _) => PyString.Strip(s, OptStr(a, 0, name), true, false)),
        "rstrip" => Method(name, (a, _) => PyString.Strip(s, OptStr(a, 0, name), false, true)),
        "split" => Method(name, (a, kw) => ToList(PyString.Split(s, OptStr(KwOr(a, kw, 0, "sep"), 0, name), Int(KwOr(a, kw, 1, "maxsplit"), 0, -1)))),
        "rsplit" => Method(name, (a, kw) => ToList(PyString.RSplit(s, OptStr(KwOr(a, kw, 0, "sep"), 0, name), Int(KwOr(a, kw, 1, "maxsplit"), 0, -1)))),
        "splitlines" => Method(name, (a, _) => ToList(PyString.SplitLines(s, JinjaOps.IsTrue(Arg(a, 0, false))))),
        "startswith" => Method(name, (a, _) => Affix(s, Arg(a, 0), name, (x, p) => x.StartsWith(p, StringComparison.Ordinal))),
        "endswith" => Method(name, (a, _) => Affix(s, Arg(a, 0), name, (x, p) => x.EndsWith(p, StringComparison.Ordinal))),
        "upper" => Method(name, (_, _) => PyString.Upper(s)),
        "lower" => Method(name, (_, _) => PyString.Lower(s)),
        "title" => Method(name, (_, _) => PyString.Title(s)),
        "capitalize" => Method(name, (_, _) => PyString.Capitalize(s)),
        "swapcase" => Method(name, (_, _) => string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)))),
        "replace" => Method(name, (a, _) => Replace(s, Str(a, 0, name), Str(a, 1, name), Int(a, 2, -1))),
        "find" => Method(name, (a, _) => Find(s, Str(a, 0, name), fromEnd: false)),
        "rfind" => Method(name, (a, _) => Find(s, Str(a, 0, name), fromEnd: true)),
        "index" => Method(name, (a, _) => Find(s, Str(a, 0, name), fromEnd: false) is long i && i >= 0 ? i : throw JinjaOps.TypeError("substring not found")),
        "count" => Method(name, (a, _) => Count(s, Str(a, 0, name))),
        "join" => Method(name, (a, _) => string.Join(s, JinjaOps.Iterate(Arg(a, 0)).Select(x => x as string
            ?? throw JinjaOps.TypeError($"sequence item: expected str instance, {JinjaOps.TypeName(x)} found")))),
        "format" => Method(name, (a, kw) => Format(s, a, kw)),
        "isspace" => Method(name, (_, _) => s.Length > 0 && s.All(PyString.IsSpace)),
        "isdigit" => Method(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => Method(name, (_, _) => s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => Method(name, (_, _) => s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "islower" => Method(name, (_, _) => s.Any(char.IsLower) && !s.Any(char.IsUpper)),
        "isupper" => Method(name, (_, _) => s.Any(char.IsUpper) && !s.Any(char.IsLower)),
        "center" or "ljust" or "rjust" => Method(name, (a, _) => Pad(s, name, Int(a, 0, 0), a.Count > 1 ? Str(a, 1, name) : " ")),
        "zfill" => Method(name, (a, _) => Zfill(s, Int(a, 0, 0))),
        "removeprefix" => Method(name, (a, _) => s.StartsWith(Str(a, 0, name), StringComparison.Ordinal) ? s[Str(a, 0, name).Length..] : s),
        "removesuffix" => Method(name, (a, _) => Str(a, 0, name) is var x && x.Length > 0 && s.EndsWith(x, StringComparison.Ordinal) ? s[..^x.Length] : s),
        _ => null,
    };

    private static List<object?> KwOr(List<object?> args, List<(string Name, object? Value)> kwargs, int index, string kw)
    {
        var r = new List<object?>();
        foreach (var (n, v) in kwargs)
        {
            if (n == kw) r.Add(v);
        }
        if (r.Count > 0) return r;
        if (index < args.Count) r.Add(args[index]);
        return r;
    }

    private static JinjaList ToList(List<string> parts) => new(parts.Cast<object?>());

    private static bool Affix(string s, object? arg, string name, Func<string, string, bool> test) => arg switch
    {
        string p => test(s, p),
        JinjaList { IsTuple: true } t => t.Any(x => x is string p && test(s, p)),
        _ => throw JinjaOps.TypeError($"{name} first arg must be str or a tuple of str, not {JinjaOps.TypeName(arg)}"),
    };

    private static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? string.Join(replacement, ["", .. PyString.CodePoints(s), ""]) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int start = 0;
        for (long n = 0; n < count; n++)
        {
            int k = s.IndexOf(old, start, StringComparison.Ordinal);
            if (k < 0 || old.Length == 0) break;
            sb.Append(s, start, k - start).Append(replacement);
            start = k + old.Length;
        }
        return sb.Append(s, start, s.Length - start).ToString();
    }

    private static long Find(string s, string sub, bool fromEnd)
    {
        int k = fromEnd ? s.LastIndexOf(sub, StringComparison.Ordinal) : s.IndexOf(sub, StringComparison.Ordinal);
        return k < 0 ? -1 : PyString.CodePointIndex(s, k);
    }

    private static long Count(string s, string sub)
    {
        if (sub.Length == 0) return PyString.Length(s) + 1;
        long n = 0;
        for (int k = s.IndexOf(sub, StringComparison.Ordinal); k >= 0; k = s.IndexOf(sub, k + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static string Pad(string s, string how, long width, string fill)
    {
        if (fill.Length != 1) throw JinjaOps.TypeError("The fill character must be exactly one character long");
        long len = PyString.Length(s);
        if (width <= len) return s;
        int total = (int)(width - len);
        int left = how switch
        {
            "ljust" => 0,
            "rjust" => total,
            _ => (total / 2) + (total & (int)width & 1),
        };
        return new string(fill[0], left) + s + new string(fill[0], total - left);
    }

    private static string Zfill(string s, long width)
    {
        long len = PyString.Length(s);
        if (width <= len) return s;
        int pad = (int)(width - len);
        bool sign = s.Length > 0 && (s[0] == '+' || s[0] == '-');
        return sign ? s[0] + new string('0', pad) + s[1..] : new string('0', pad) + s;
    }

    /// <summary>Python <c>str.format</c> with <c>{}</c>, <c>{0}</c>, <c>{name}</c> fields and <c>!r</c>/<c>!s</c> (no format specs).</summary>
    private static string Format(string fmt, List<object?> args, List<(string Name, object? Value)> kwargs)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            char c = fmt[i];
            if (c == '{' && i + 1 < fmt.Length && fmt[i + 1] == '{')
            {
                sb.Append('{');
                i++;
                continue;
            }
            if (c == '}' && i + 1 < fmt.Length && fmt[i + 1] == '}')
            {
                sb.Append('}');
                i++;
                continue;
            }
            if (c != '{')
            {
                sb.Append(c);
                continue;
            }
            int close = fmt.IndexOf('}', i);
            if (close < 0) throw JinjaOps.TypeError("Single '{' encountered in format string");
            var field = fmt[(i + 1)..close];
            bool repr = field.EndsWith("!r", StringComparison.Ordinal);
            if (repr || field.EndsWith("!s", StringComparison.Ordinal)) field = field[..^2];
            if (field.Contains(':', StringComparison.Ordinal)) throw JinjaOps.TypeError("format specs are not supported in str.format");
            object? value;
            if (field.Length == 0) value = Arg(args, auto++, Undefined.Plain);
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int idx)) value = Arg(args, idx, Undefined.Plain);
            else value = kwargs.FirstOrDefault(kv => kv.Name == field) is var kv && kv.Name is not null ? kv.Value : throw JinjaOps.TypeError($"'{field}'");
            if (value is Undefined) throw JinjaOps.TypeError("Replacement index out of range for positional args tuple");
            sb.Append(repr ? JinjaOps.Repr(value) : JinjaOps.ToStr(value));
            i = close;
        }
        return sb.ToString();
    }

    private static object? DictMethod(JinjaDict d, string name) => name switch
    {
        "items" => Method(name, (_, _) => new JinjaList(d.Select(kv => (object?)new JinjaList { kv.Key, kv.Value }.AsTuple()))),
        "keys" => Method(name, (_, _) => new JinjaList(d.Keys)),
        "values" => Method(name, (_, _) => new JinjaList(d.Values)),
        "get" => Method(name, (a, _) => a.Count > 0 && a[0] is { } key && d.TryGetValue(key, out var v) ? v : Arg(a, 1)),
        "copy" => Method(name, (_, _) =>
        {
            var c = new JinjaDict();
            foreach (var kv in d) c[kv.Key] = kv.Value;
            return c;
        }),
        _ => null,
    };

    private static object? ListMethod(JinjaList l, string name) => name switch
    {
        "index" => Method(name, (a, _) => l.FindIndex(x => JinjaOps.PyEquals(x, Arg(a, 0))) is int i && i >= 0 ? (long)i
            : throw JinjaOps.TypeError($"{JinjaOps.Repr(Arg(a, 0))} is not in list")),
        "count" => Method(name, (a, _) => (long)l.Count(x => JinjaOps.PyEquals(x, Arg(a, 0)))),
        "copy" => Method(name, (_, _) => new JinjaList(l) { IsTuple = l.IsTuple }),
        _ => null,
    };

    /// <summary>Marks a freshly built list as a tuple.</summary>
    public static JinjaList AsTuple(this JinjaList l) => new(l) { IsTuple = true };
}

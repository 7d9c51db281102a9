// Python semantics of template values: truthiness, str/repr, equality, ordering, arithmetic, membership, iteration, CLR conversion.
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ExpertMix.Models.Chat.Jinja;

/// <summary>Python/jinja2 operations over the value model (null, <see cref="Undefined"/>, bool, long, double, string, <see cref="JinjaList"/>, <see cref="JinjaDict"/>, …).</summary>
internal static class JinjaOps
{
    public static ChatTemplateException TypeError(string message) => new(message, ChatTemplateErrorKind.Type);

    /// <summary>Python <c>bool(v)</c>.</summary>
    public static bool IsTrue(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        JinjaList l => l.Count > 0,
        JinjaDict d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python type name (for error messages).</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        JinjaList { IsTuple: true } => "tuple",
        JinjaList => "list",
        JinjaDict => "dict",
        JinjaNamespace => "Namespace",
        LoopContext => "LoopContext",
        JinjaCallable => "function",
        _ => v.GetType().Name,
    };

    /// <summary>jinja2's <c>object_type_repr</c>: "dict object", "None", …</summary>
    public static string ObjectTypeRepr(object? v) => v switch
    {
        null => "None",
        JinjaNamespace => "jinja2.utils.Namespace object",
        LoopContext => "jinja2.runtime.LoopContext object",
        _ => $"{TypeName(v)} object",
    };

    /// <summary>Python <c>str(v)</c> as printed by <c>{{ v }}</c>.</summary>
    public static string ToStr(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python <c>repr(v)</c>.</summary>
    public static string Repr(object? v)
    {
        switch (v)
        {
            case null: return "None";
            case Undefined: return "Undefined";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return PyString.FloatRepr(d);
            case string s: return PyString.Repr(s);
            case JinjaList list:
                {
                    var sb = new StringBuilder(list.IsTuple ? "(" : "[");
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (i > 0) sb.Append(", ");
                        sb.Append(Repr(list[i]));
                    }
                    if (list.IsTuple && list.Count == 1) sb.Append(',');
                    return sb.Append(list.IsTuple ? ')' : ']').ToString();
                }
            case JinjaDict dict:
                {
                    var sb = new StringBuilder("{");
                    bool first = true;
                    foreach (var kv in dict)
                    {
                        if (!first) sb.Append(", ");
                        first = false;
                        sb.Append(Repr(kv.Key)).Append(": ").Append(Repr(kv.Value));
                    }
                    return sb.Append('}').ToString();
                }
            case JinjaNamespace ns:
                return "<Namespace " + string.Join(", ", ns.Attributes.Select(kv => $"{PyString.Repr(kv.Key)}: {Repr(kv.Value)}")) + ">";
            case JinjaCallable c: return $"<function {c.Name}>";
            default: return v.ToString() ?? "";
        }
    }

    private static bool IsNumber(object? v) => v is bool or long or double;

    private static double AsDouble(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw new InvalidOperationException("not a number"),
    };

    private static long AsLong(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        _ => throw new InvalidOperationException("not an integer"),
    };

    /// <summary>Python <c>a == b</c>.</summary>
    public static bool PyEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return AsDouble(a) == AsDouble(b);
            return AsLong(a) == AsLong(b);
        }
        switch (a)
        {
            case string sa: return b is string sb && sa == sb;
            case JinjaList la:
                {
                    if (b is not JinjaList lb || la.IsTuple != lb.IsTuple || la.Count != lb.Count) return false;
                    for (int i = 0; i < la.Count; i++)
                    {
                        if (!PyEquals(la[i], lb[i])) return false;
                    }
                    return true;
                }
            case JinjaDict da:
                {
                    if (b is not JinjaDict db || da.Count != db.Count) return false;
                    foreach (var kv in da)
                    {
                        if (kv.Key is null || !db.TryGetValue(kv.Key, out var other) || !PyEquals(kv.Value, other)) return false;
                    }
                    return true;
                }
            default: return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python ordering <c>a &lt; b</c> etc.; returns the sign of a-b.</summary>
    /// <exception cref="ChatTemplateException">Unorderable types.</exception>
    public static int PyCompare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double)
            {
                double x = AsDouble(a), y = AsDouble(b);
                return x < y ? -1 : x > y ? 1 : 0;
            }
            return AsLong(a).CompareTo(AsLong(b));
        }
        if (a is string sa && b is string sb) return Math.Sign(string.CompareOrdinal(sa, sb));
        if (a is JinjaList la && b is JinjaList lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (!PyEquals(la[i], lb[i])) return PyCompare(la[i], lb[i], op);
            }
            return la.Count.CompareTo(lb.Count);
        }
        if (a is Undefined u1) throw u1.Fail();
        if (b is Undefined u2) throw u2.Fail();
        throw TypeError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>Python binary arithmetic: + - * / // % **.</summary>
    public static object? Arithmetic(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b))
        {
            bool isFloat = a is double || b is double;
            if (op == "/")
            {
                double y = AsDouble(b);
                if (y == 0) throw TypeError(isFloat ? "float division by zero" : "division by zero");
                return AsDouble(a) / y;
            }
            if (isFloat)
            {
                double x = AsDouble(a), y = AsDouble(b);
                return op switch
                {
                    "+" => x + y,
                    "-" => x - y,
                    "*" => x * y,
                    "//" => y == 0 ? throw TypeError("float floor division by zero") : Math.Floor(x / y),
                    "%" => y == 0 ? throw TypeError("float modulo") : x - (y * Math.Floor(x / y)),
                    "**" => Math.Pow(x, y),
                    _ => throw TypeError($"unsupported operator {op}"),
                };
            }
            long p = AsLong(a), q = AsLong(b);
            switch (op)
            {
                case "+": return p + q;
                case "-": return p - q;
                case "*": return p * q;
                case "//":
                    if (q == 0) throw TypeError("integer division or modulo by zero");
                    return FloorDiv(p, q);
                case "%":
                    if (q == 0) throw TypeError("integer division or modulo by zero");
                    return p - (q * FloorDiv(p, q));
                case "**":
                    if (q < 0) return Math.Pow(p, q);
                    long r = 1;
                    for (long i = 0; i < q; i++) r = checked(r * p);
                    return r;
            }
        }
        if (op == "+" && a is string s1 && b is string s2) return s1 + s2;
        if (op == "+" && a is JinjaList l1 && b is JinjaList l2 && l1.IsTuple == l2.IsTuple)
        {
            var r = new JinjaList(l1) { IsTuple = l1.IsTuple };
            r.AddRange(l2);
            return r;
        }
        if (op == "*" && (a is string || a is JinjaList) && b is long or bool) return Repeat(a, AsLong(b));
        if (op == "*" && (b is string || b is JinjaList) && a is long or bool) return Repeat(b, AsLong(a));
        if (op == "%" && a is string fmt) return JinjaFilters.PercentFormat(fmt, b is JinjaList { IsTuple: true } t ? t : new JinjaList { b });
        string sym = op == "**" ? "** or pow()" : op;
        throw TypeError($"unsupported operand type(s) for {sym}: '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static long FloorDiv(long p, long q)
    {
        long d = p / q;
        if ((p % q != 0) && ((p < 0) != (q < 0))) d--;
        return d;
    }

    private static object Repeat(object seq, long n)
    {
        if (seq is string s) return n <= 0 ? "" : new StringBuilder().Insert(0, s, (int)n).ToString();
        var list = (JinjaList)seq;
        var r = new JinjaList { IsTuple = list.IsTuple };
        for (long i = 0; i < n; i++) r.AddRange(list);
        return r;
    }

    /// <summary>Unary minus / plus.</summary>
    public static object? Unary(string op, object? v)
    {
        if (v is Undefined u) throw u.Fail();
        if (!IsNumber(v)) throw TypeError($"bad operand type for unary {op}: '{TypeName(v)}'");
        if (op == "+") return v is bool b ? (b ? 1L : 0L) : v;
        return v is double d ? -d : (object)(-AsLong(v));
    }

    /// <summary>Python <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                if (item is not string sub) throw TypeError($"'in <string>' requires string as left operand, not {TypeName(item)}");
                return s.Contains(sub, StringComparison.Ordinal);
            case JinjaList l: return l.Any(x => PyEquals(x, item));
            case JinjaDict d: return item is not null && d.ContainsKey(item);
            case Undefined: return false;
            default: throw TypeError($"argument of type '{TypeName(container)}' is not iterable");
        }
    }

    /// <summary>Python <c>iter(v)</c> materialised: list items, string code points, dict keys; undefined is empty.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        JinjaList l => [.. l],
        string s => [.. PyString.CodePoints(s)],
        JinjaDict d => [.. d.Keys],
        Undefined => [],
        _ => throw TypeError($"'{TypeName(v)}' object is not iterable"),
    };

    /// <summary>Python <c>len(v)</c>.</summary>
    public static long Length(object? v) => v switch
    {
        string s => PyString.Length(s),
        JinjaList l => l.Count,
        JinjaDict d => d.Count,
        Undefined => 0,
        _ => throw TypeError($"object of type '{TypeName(v)}' has no len()"),
    };

    /// <summary>jinja2 <c>environment.getattr</c>: Python attribute first (methods, namespace and loop attributes), then item.</summary>
    public static object? GetAttr(object? obj, string name)
    {
        if (obj is Undefined u) throw u.Fail();
        var method = JinjaMethods.Bind(obj, name);
        if (method is not null) return method;
        switch (obj)
        {
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var v) ? v : Undefined.Attribute(obj, name);
            case LoopContext loop:
                return loop.Get(name);
            case JinjaDict d:
                return d.TryGetValue(name, out var dv) ? dv : Undefined.Attribute(obj, name);
            default:
                return Undefined.Attribute(obj, name);
        }
    }

    /// <summary>jinja2 <c>environment.getitem</c>: item first, then (for string keys) attribute; failures give undefined.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        if (obj is Undefined u) throw u.Fail();
        switch (obj)
        {
            case JinjaDict d when key is not null && d.TryGetValue(key, out var v):
                return v;
            case JinjaList l when key is long or bool:
                {
                    long i = AsLong(key);
                    if (i < 0) i += l.Count;
                    if (i >= 0 && i < l.Count) return l[(int)i];
                    break;
                }
            case string s when key is long or bool:
                {
                    var cps = PyString.CodePoints(s);
                    long i = AsLong(key);
                    if (i < 0) i += cps.Count;
                    if (i >= 0 && i < cps.Count) return cps[(int)i];
                    break;
                }
        }
        if (key is string name)
        {
            var method = JinjaMethods.Bind(obj, name);
            if (method is not null) return method;
            if (obj is JinjaNamespace ns && ns.Attributes.TryGetValue(name, out var nv)) return nv;
            if (obj is LoopContext loop) return loop.Get(name);
        }
        return Undefined.Attribute(obj, key);
    }

    /// <summary>Python slicing <c>obj[start:stop:step]</c> on lists, tuples and strings (by code point).</summary>
    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        if (obj is Undefined u) throw u.Fail();
        List<object?> items = obj switch
        {
            JinjaList l => l,
            string s => [.. PyString.CodePoints(s)],
            _ => throw TypeError($"'{TypeName(obj)}' object is not subscriptable"),
        };
        long n = items.Count;
        long st = step is null or Undefined ? 1 : ToIndex(step);
        if (st == 0) throw TypeError("slice step cannot be zero");
        long lo, hi;
        if (st > 0)
        {
            lo = start is null or Undefined ? 0 : Clamp(ToIndex(start), n, 0, n);
            hi = stop is null or Undefined ? n : Clamp(ToIndex(stop), n, 0, n);
        }
        else
        {
            lo = start is null or Undefined ? n - 1 : Clamp(ToIndex(start), n, -1, n - 1);
            hi = stop is null or Undefined ? -1 : Clamp(ToIndex(stop), n, -1, n - 1);
        }
        var result = new List<object?>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) result.Add(items[(int)i]);
        if (obj is string) return string.Concat(result.Cast<string>());
        return new JinjaList(result) { IsTuple = ((JinjaList)obj).IsTuple };
    }

    private static long ToIndex(object? v) => v is long or bool ? AsLong(v)
        : throw TypeError("slice indices must be integers or None or have an __index__ method");

    private static long Clamp(long i, long n, long min, long max)
    {
        if (i < 0) i += n;
        return Math.Clamp(i, min, max);
    }

    /// <summary>Converts a CLR value (render input) to the value model: dictionaries, lists, JSON elements, numbers, records.</summary>
    /// <exception cref="ArgumentException">A value of an unsupported CLR type.</exception>
    public static object? FromClr(object? v)
    {
        switch (v)
        {
            case null: return null;
            case string or bool or long or double or Undefined or JinjaList or JinjaDict or JinjaNamespace or JinjaCallable: return v;
            case int i: return (long)i;
            case short s: return (long)s;
            case byte b: return (long)b;
            case uint ui: return (long)ui;
            case float f: return (double)f;
            case decimal m: return (double)m;
            case JsonElement e: return FromJson(e);
            case ChatMessage msg: return FromClr(msg.ToDictionary());
            case IDictionary<string, object?> d1: return FromPairs(d1.Select(kv => (kv.Key, kv.Value)));
            case IReadOnlyDictionary<string, object?> d2: return FromPairs(d2.Select(kv => (kv.Key, kv.Value)));
            case IDictionary d3:
                {
                    var r = new JinjaDict();
                    foreach (DictionaryEntry kv in d3) r[FromClr(kv.Key)!] = FromClr(kv.Value);
                    return r;
                }
            case IEnumerable e:
                {
                    var r = new JinjaList();
                    foreach (var x in e) r.Add(FromClr(x));
                    return r;
                }
            default:
                throw new ArgumentException($"chat template variable of type {v.GetType().FullName} is not supported (use string, number, bool, null, lists, dictionaries or JsonElement)");
        }
    }

    private static JinjaDict FromPairs(IEnumerable<(string Key, object? Value)> pairs)
    {
        var r = new JinjaDict();
        foreach (var (k, val) in pairs) r[k] = FromClr(val);
        return r;
    }

    private static object? FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined: return null;
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String: return e.GetString();
            case JsonValueKind.Number:
                {
                    var raw = e.GetRawText();
                    bool isInt = !raw.Contains('.', StringComparison.Ordinal) && !raw.Contains('e', StringComparison.OrdinalIgnoreCase);
                    return isInt && e.TryGetInt64(out var l) ? (object)l : e.GetDouble();
                }
            case JsonValueKind.Array: return new JinjaList(e.EnumerateArray().Select(FromJson));
            default:
                {
                    var d = new JinjaDict();
                    foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
                    return d;
                }
        }
    }
}

// The tojson filter as transformers binds it: Python json.dumps(x, ensure_ascii=False, indent, separators, sort_keys).
using System.Globalization;
using System.Text;

namespace ExpertMix.Models.Chat.Jinja;

/// <summary>Python <c>json.dumps</c> over the value model (insertion order kept, floats as Python repr).</summary>
internal static class JinjaJson
{
    /// <summary>Serializes <paramref name="value"/>. indent: null (single line), a count or a string.</summary>
    /// <exception cref="ChatTemplateException">Values that are not JSON serializable (undefined, namespaces, callables).</exception>
    public static string Dumps(object? value, bool ensureAscii, object? indent, string? itemSep, string? keySep, bool sortKeys)
    {
        string? indentStr = indent switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            string s => s,
            _ => throw JinjaOps.TypeError("indent must be an int or a string"),
        };
        itemSep ??= indentStr is null ? ", " : ",";
        keySep ??= ": ";
        var sb = new StringBuilder();
        Write(sb, value, new Options(ensureAscii, indentStr, itemSep, keySep, sortKeys), 0);
        return sb.ToString();
    }

    private sealed record Options(bool EnsureAscii, string? Indent, string ItemSep, string KeySep, bool SortKeys);

    private static void NewLine(StringBuilder sb, Options o, int level)
    {
        sb.Append('\n');
        for (int i = 0; i < level; i++) sb.Append(o.Indent);
    }

    private static void Write(StringBuilder sb, object? v, Options o, int level)
    {
        switch (v)
        {
            case null: sb.Append("null"); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyString.FloatRepr(d));
                return;
            case string s: WriteString(sb, s, o.EnsureAscii); return;
            case JinjaList list:
                {
                    if (list.Count == 0)
                    {
                        sb.Append("[]");
                        return;
                    }
                    sb.Append('[');
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (i > 0) sb.Append(o.ItemSep);
                        if (o.Indent is not null) NewLine(sb, o, level + 1);
                        Write(sb, list[i], o, level + 1);
                    }
                    if (o.Indent is not null) NewLine(sb, o, level);
                    sb.Append(']');
                    return;
                }
            case JinjaDict dict:
                {
                    if (dict.Count == 0)
                    {
                        sb.Append("{}");
                        return;
                    }
                    var pairs = dict.Select(kv => (Key: KeyString(kv.Key), kv.Value)).ToList();
                    if (o.SortKeys) pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
                    sb.Append('{');
                    for (int i = 0; i < pairs.Count; i++)
                    {
                        if (i > 0) sb.Append(o.ItemSep);
                        if (o.Indent is not null) NewLine(sb, o, level + 1);
                        WriteString(sb, pairs[i].Key, o.EnsureAscii);
                        sb.Append(o.KeySep);
                        Write(sb, pairs[i].Value, o, level + 1);
                    }
                    if (o.Indent is not null) NewLine(sb, o, level);
                    sb.Append('}');
                    return;
                }
            default:
                throw JinjaOps.TypeError($"Object of type {(v is Undefined ? "Undefined" : JinjaOps.TypeName(v))} is not JSON serializable");
        }
    }

    private static string KeyString(object key) => key switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PyString.FloatRepr(d),
        _ => throw JinjaOps.TypeError($"keys must be str, int, float, bool or None, not {JinjaOps.TypeName(key)}"),
    };

    private static void WriteString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}

// The jinja2 tests usable after `is`: defined, none, string, mapping, iterable, number, divisibleby, comparisons, …
namespace ExpertMix.Models.Chat.Jinja;

/// <summary>jinja2's built-in tests (<c>x is name(args)</c>).</summary>
internal static class JinjaTests
{
    private static readonly HashSet<string> Names =
    [
        "defined", "undefined", "none", "string", "mapping", "iterable", "sequence", "number", "integer", "float",
        "boolean", "true", "false", "even", "odd", "divisibleby", "lower", "upper", "sameas", "callable", "eq",
        "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in",
        "escaped", "filter", "test",
    ];

    /// <summary>True when <paramref name="name"/> is a known test.</summary>
    public static bool Exists(string name) => Names.Contains(name);

    /// <summary>Applies test <paramref name="name"/>.</summary>
    public static bool Apply(string name, object? v, List<object?> args)
    {
        object? A(int i) => i < args.Count ? args[i] : throw JinjaOps.TypeError($"test '{name}' needs {i + 1} argument(s)");
        return name switch
        {
            "defined" => v is not Undefined,
            "undefined" => v is Undefined,
            "none" => v is null,
            "string" => v is string,
            "mapping" => v is JinjaDict,
            "iterable" => v is string or JinjaList or JinjaDict or Undefined,
            "sequence" => v is string or JinjaList or JinjaDict or Undefined,
            "number" => v is bool or long or double,
            "integer" => v is long,
            "float" => v is double,
            "boolean" => v is bool,
            "true" => v is true,
            "false" => v is false,
            "even" => Mod(v, 2L) == 0,
            "odd" => Mod(v, 2L) == 1,
            "divisibleby" => Mod(v, A(0)) == 0,
            "lower" => JinjaOps.ToStr(v) is var s && s.Any(char.IsLower) && !s.Any(char.IsUpper),
            "upper" => JinjaOps.ToStr(v) is var s && s.Any(char.IsUpper) && !s.Any(char.IsLower),
            "sameas" => SameAs(v, A(0)),
            "callable" => v is JinjaCallable,
            "eq" or "equalto" or "==" => JinjaOps.PyEquals(v, A(0)),
            "ne" or "!=" => !JinjaOps.PyEquals(v, A(0)),
            "lt" or "lessthan" or "<" => JinjaOps.PyCompare(v, A(0), "<") < 0,
            "le" or "<=" => JinjaOps.PyCompare(v, A(0), "<=") <= 0,
            "gt" or "greaterthan" or ">" => JinjaOps.PyCompare(v, A(0), ">") > 0,
            "ge" or ">=" => JinjaOps.PyCompare(v, A(0), ">=") >= 0,
            "in" => JinjaOps.Contains(A(0), v),
            "escaped" => false,
            "filter" => v is string f && JinjaFilters.Exists(f),
            "test" => v is string t && Exists(t),
            _ => throw JinjaOps.TypeError($"No test named '{name}'."),
        };
    }

    private static double Mod(object? v, object? m)
    {
        var r = JinjaOps.Arithmetic("%", v, m);
        return r is long l ? l : (double)r!;
    }

    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y && x is >= -5 and <= 256,
        (string x, string y) => ReferenceEquals(x, y),
        _ => ReferenceEquals(a, b),
    };
}

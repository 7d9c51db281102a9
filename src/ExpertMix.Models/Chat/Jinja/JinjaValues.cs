// Runtime value types of the template interpreter: undefined, list/tuple, ordered dict, namespace, loop context, callables.
namespace ExpertMix.Models.Chat.Jinja;

/// <summary>
/// jinja2's default <c>Undefined</c>: prints as "", is falsy, iterates as empty, has length 0; attribute or item
/// access, calls and arithmetic on it raise <see cref="ChatTemplateException"/> with jinja2's message.
/// </summary>
internal sealed class Undefined
{
    private readonly string? _hint;
    private readonly object? _name;
    private readonly object? _obj;
    private readonly bool _hasObj;

    private Undefined(string? hint, object? name, object? obj, bool hasObj)
    {
        _hint = hint;
        _name = name;
        _obj = obj;
        _hasObj = hasObj;
    }

    /// <summary>An undefined with no information (e.g. <c>a if false</c>).</summary>
    public static Undefined Plain { get; } = new(null, null, null, false);

    /// <summary>A missing variable.</summary>
    public static Undefined Variable(string name) => new(null, name, null, false);

    /// <summary>A missing attribute or item <paramref name="name"/> of <paramref name="obj"/>.</summary>
    public static Undefined Attribute(object? obj, object? name) => new(null, name, obj, true);

    /// <summary>An undefined with a fixed message (the sandbox's unsafe-attribute error, empty first/last).</summary>
    public static Undefined WithHint(string hint, ChatTemplateErrorKind kind) => new(hint, null, null, false) { Kind = kind };

    private ChatTemplateErrorKind Kind { get; init; } = ChatTemplateErrorKind.Undefined;

    /// <summary>The error raised when this value is used (jinja2's <c>_undefined_message</c>).</summary>
    public string Message
    {
        get
        {
            if (_hint is not null) return _hint;
            if (!_hasObj) return _name is null ? "value is undefined" : $"{JinjaOps.Repr(_name)} is undefined";
            string type = JinjaOps.ObjectTypeRepr(_obj);
            return _name is string
                ? $"{PyString.Repr(type)} has no attribute {JinjaOps.Repr(_name)}"
                : $"{type} has no element {JinjaOps.Repr(_name)}";
        }
    }

    /// <summary>Raises the undefined error.</summary>
    public ChatTemplateException Fail() => new(Message, Kind);
}

/// <summary>A Python list or tuple.</summary>
internal sealed class JinjaList : List<object?>
{
    public JinjaList()
    {
    }

    public JinjaList(IEnumerable<object?> items)
        : base(items)
    {
    }

    /// <summary>True for tuples (printed with parentheses).</summary>
    public bool IsTuple { get; init; }
}

/// <summary>Python dict key equality: 1 == 1.0 == True, strings ordinal.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static PyKeyComparer Instance { get; } = new();

    public new bool Equals(object? x, object? y) => JinjaOps.PyEquals(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e18 => ((long)d).GetHashCode(),
        string s => StringComparer.Ordinal.GetHashCode(s),
        _ => obj.GetHashCode(),
    };
}

/// <summary>A Python dict: insertion-ordered, Python key equality.</summary>
internal sealed class JinjaDict : OrderedDictionary<object, object?>
{
    public JinjaDict()
        : base(PyKeyComparer.Instance)
    {
    }
}

/// <summary>The object made by <c>namespace(...)</c>: attributes assignable with <c>{% set ns.x = ... %}</c>.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A callable: a global function, a bound method, or a macro.</summary>
internal sealed class JinjaCallable(string name, Func<List<object?>, List<(string Name, object? Value)>, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(List<object?> args, List<(string Name, object? Value)> kwargs) => invoke(args, kwargs);
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int depth0)
{
    private object? _lastChanged = Undefined.Plain;

    public int Index0 { get; set; }

    public int Length => items.Count;

    public int Depth0 => depth0;

    /// <summary><c>loop.name</c>; unknown names are undefined.</summary>
    public object? Get(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)Index0 + 1,
        "revindex" => (long)(Length - Index0),
        "revindex0" => (long)(Length - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == Length - 1,
        "length" => (long)Length,
        "depth" => (long)depth0 + 1,
        "depth0" => (long)depth0,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : Undefined.Attribute(this, "previtem"),
        "nextitem" => Index0 + 1 < Length ? items[Index0 + 1] : Undefined.Attribute(this, "nextitem"),
        "cycle" => new JinjaCallable("cycle", (args, _) =>
            args.Count == 0 ? throw new ChatTemplateException("no items for cycling given", ChatTemplateErrorKind.Type) : args[Index0 % args.Count]),
        "changed" => new JinjaCallable("changed", (args, _) =>
        {
            object? value = new JinjaList(args);
            if (JinjaOps.PyEquals(value, _lastChanged)) return false;
            _lastChanged = value;
            return true;
        }),
        _ => Undefined.Attribute(this, name),
    };
}

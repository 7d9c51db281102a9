// Renders an assembly's public surface as stable, sorted text (one type header, then its members) for approval tests.
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace ExpertMix.Cli.Tests.PublicApi;

/// <summary>
/// C#-like text of the public surface: <c>kind Namespace.Type&lt;T&gt; : Base, IInterface</c> per type (ordered by full
/// name), then one indented line per member (ordered by kind, then text) with modifiers, top-level nullability, ref
/// kinds, <c>params</c> and default values. Type names inside signatures are short (nested types keep their outer name).
/// </summary>
internal static class PublicApiListing
{
    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(void)] = "void", [typeof(object)] = "object", [typeof(string)] = "string", [typeof(bool)] = "bool",
        [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(short)] = "short", [typeof(ushort)] = "ushort",
        [typeof(int)] = "int", [typeof(uint)] = "uint", [typeof(long)] = "long", [typeof(ulong)] = "ulong",
        [typeof(float)] = "float", [typeof(double)] = "double", [typeof(decimal)] = "decimal", [typeof(char)] = "char",
        [typeof(nint)] = "nint", [typeof(nuint)] = "nuint",
    };

    /// <summary>The listing of <paramref name="assembly"/>, ending with a newline.</summary>
    public static string Render(Assembly assembly)
    {
        var nullability = new NullabilityInfoContext();
        var sb = new StringBuilder();
        var types = PublicSurface.Types(assembly);
        int members = types.Sum(t => PublicSurface.Members(t).Count);
        sb.Append(CultureInfo.InvariantCulture, $"# {assembly.GetName().Name}: {types.Count} public types, {members} members\n");
        foreach (var type in types)
        {
            sb.Append('\n').Append(Header(type)).Append('\n');
            var lines = PublicSurface.Members(type)
                .Select(m => (Order: Order(m), Value: EnumValue(m), Name: type.IsEnum ? "" : m.Name, Text: Member(m, type, nullability)))
                .OrderBy(x => x.Order).ThenBy(x => x.Value).ThenBy(x => x.Name, StringComparer.Ordinal).ThenBy(x => x.Text, StringComparer.Ordinal);
            foreach (var (_, _, _, text) in lines) sb.Append("    ").Append(text).Append('\n');
        }
        return sb.ToString();
    }

    private static decimal EnumValue(MemberInfo m) =>
        m is FieldInfo { IsLiteral: true } f && f.DeclaringType!.IsEnum ? Convert.ToDecimal(f.GetRawConstantValue(), CultureInfo.InvariantCulture) : 0;

    private static int Order(MemberInfo m) => m switch
    {
        FieldInfo => 0,
        ConstructorInfo => 1,
        PropertyInfo => 2,
        EventInfo => 3,
        _ => 4,
    };

    private static string Header(Type t)
    {
        string name = (t.Namespace is null ? "" : t.Namespace + ".") + Name(t);
        if (typeof(Delegate).IsAssignableFrom(t) && t != typeof(Delegate))
        {
            var invoke = t.GetMethod("Invoke")!;
            return $"delegate {Name(invoke.ReturnType)} {name}({Parameters(invoke.GetParameters(), new NullabilityInfoContext())})";
        }
        var bases = new List<string>();
        if (t.IsEnum)
        {
            var underlying = Enum.GetUnderlyingType(t);
            if (underlying != typeof(int)) bases.Add(Name(underlying));
        }
        else if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType))
        {
            bases.Add(Name(b));
        }
        if (!t.IsEnum) bases.AddRange(t.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
        return Kind(t) + " " + name + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static string Kind(Type t)
    {
        if (t.IsEnum) return "enum";
        if (t.IsInterface) return "interface";
        if (t.IsValueType)
        {
            string ro = t.IsDefined(typeof(IsReadOnlyAttribute), false) ? "readonly " : "";
            bool record = t.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is { } pm && pm.IsDefined(typeof(CompilerGeneratedAttribute), false);
            return ro + (record ? "record struct" : "struct");
        }
        string kind = t.GetMethod("<Clone>$") is not null ? "record" : "class";
        if (t.IsAbstract && t.IsSealed) return "static " + kind;
        if (t.IsAbstract) return "abstract " + kind;
        return t.IsSealed ? "sealed " + kind : kind;
    }

    private static string Member(MemberInfo m, Type owner, NullabilityInfoContext nc) => m switch
    {
        FieldInfo f when owner.IsEnum => $"{f.Name} = {Convert.ToString(f.GetRawConstantValue(), CultureInfo.InvariantCulture)}",
        FieldInfo f => Field(f, nc),
        ConstructorInfo c => $"{Access(c)}ctor({Parameters(c.GetParameters(), nc)})",
        PropertyInfo p => Property(p, owner, nc),
        EventInfo e => $"{Access(e.AddMethod!)}{Modifiers(e.AddMethod!, owner)}event {Name(e.EventHandlerType!)} {e.Name}",
        MethodInfo mi => Method(mi, owner, nc),
        _ => throw new InvalidOperationException($"unexpected member {m}"),
    };

    private static string Field(FieldInfo f, NullabilityInfoContext nc)
    {
        string mods = f.IsLiteral ? "const " : (f.IsStatic ? "static " : "") + (f.IsInitOnly ? "readonly " : "");
        string value = f.IsLiteral ? " = " + Literal(f.GetRawConstantValue(), f.FieldType) : "";
        return $"{Access(f)}{mods}{Typed(f.FieldType, nc.Create(f).ReadState, f)} {f.Name}{value}";
    }

    private static string Property(PropertyInfo p, Type owner, NullabilityInfoContext nc)
    {
        var visible = PublicSurface.Accessors(p).Where(a => PublicSurface.IsVisibleAccessor(a, owner)).ToList();
        var first = visible[0];
        var accessors = new List<string>();
        if (p.GetMethod is { } g && visible.Contains(g)) accessors.Add(AccessorAccess(g, first) + "get;");
        if (p.SetMethod is { } s && visible.Contains(s))
        {
            bool init = s.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));
            accessors.Add(AccessorAccess(s, first) + (init ? "init;" : "set;"));
        }
        var index = p.GetIndexParameters();
        string name = index.Length > 0 ? $"this[{Parameters(index, nc)}]" : p.Name;
        return $"{Access(first)}{Modifiers(first, owner)}{Typed(p.PropertyType, nc.Create(p).ReadState, p)} {name} {{ {string.Join(" ", accessors)} }}";
    }

    private static string AccessorAccess(MethodInfo accessor, MethodInfo first) => Access(accessor) == Access(first) ? "" : Access(accessor);

    private static string Method(MethodInfo m, Type owner, NullabilityInfoContext nc)
    {
        string generic = m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";
        string ext = m.IsDefined(typeof(ExtensionAttribute), false) ? "this " : "";
        string ret = Typed(m.ReturnType, nc.Create(m.ReturnParameter).ReadState, m.ReturnParameter);
        return $"{Access(m)}{Modifiers(m, owner)}{ret} {m.Name}{generic}({ext}{Parameters(m.GetParameters(), nc)})";
    }

    private static string Access(MemberInfo m) => m switch
    {
        MethodBase b when b.IsPublic => "",
        FieldInfo f when f.IsPublic => "",
        _ => "protected ",
    };

    private static string Modifiers(MethodInfo m, Type owner)
    {
        if (owner.IsInterface) return m.IsStatic ? "static " : "";
        if (m.IsStatic) return "static ";
        if (m.IsAbstract) return "abstract ";
        if (m.GetBaseDefinition().DeclaringType != m.DeclaringType) return m.IsFinal ? "sealed override " : "override ";
        return m.IsVirtual && !m.IsFinal ? "virtual " : "";
    }

    private static string Parameters(ParameterInfo[] ps, NullabilityInfoContext nc) => string.Join(", ", ps.Select(p =>
    {
        string refKind = !p.ParameterType.IsByRef ? "" : p.IsOut ? "out " : p.IsIn ? "in " : "ref ";
        string @params = p.IsDefined(typeof(ParamArrayAttribute), false) || p.IsDefined(typeof(ParamCollectionAttribute), false) ? "params " : "";
        string type = Typed(p.ParameterType, nc.Create(p).ReadState, p);
        string def = p.HasDefaultValue ? " = " + Literal(p.RawDefaultValue, p.ParameterType) : "";
        return $"{refKind}{@params}{type} {p.Name}{def}";
    }));

    private static string Typed(Type t, NullabilityState state, ICustomAttributeProvider source)
    {
        var names = source.GetCustomAttributes(typeof(TupleElementNamesAttribute), false).OfType<TupleElementNamesAttribute>().FirstOrDefault()?.TransformNames;
        int next = 0;
        return Name(t, names, ref next) + (state == NullabilityState.Nullable && !t.IsValueType && !(t.IsByRef && t.GetElementType()!.IsValueType) ? "?" : "");
    }

    private static string Literal(object? value, Type type)
    {
        if (value is null) return type.IsValueType && Nullable.GetUnderlyingType(type) is null ? "default" : "null";
        var enumType = Nullable.GetUnderlyingType(type) ?? (type.IsByRef ? type.GetElementType()! : type);
        if (enumType.IsEnum) return Name(enumType) + "." + Enum.ToObject(enumType, value);
        return value switch
        {
            string s => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"",
            bool b => b ? "true" : "false",
            char c => $"'{c}'",
            float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    /// <summary>The short C# name of <paramref name="t"/> (keywords, T?, arrays, tuples, generic arguments, Outer.Inner).</summary>
    public static string Name(Type t)
    {
        int next = 0;
        return Name(t, null, ref next);
    }

    /// <summary><see cref="Name(Type)"/> with tuple element names (pre-order, as TupleElementNamesAttribute lists them).</summary>
    private static string Name(Type t, IList<string?>? tupleNames, ref int next)
    {
        if (t.IsByRef) return Name(t.GetElementType()!, tupleNames, ref next);
        if (t.IsPointer) return Name(t.GetElementType()!, tupleNames, ref next) + "*";
        if (t.IsArray) return Name(t.GetElementType()!, tupleNames, ref next) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsGenericParameter) return t.Name;
        if (Keywords.TryGetValue(t, out var kw)) return kw;
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u, tupleNames, ref next) + "?";
        string outer = t.IsNested ? Name(t.DeclaringType!) + "." : "";
        int tick = t.Name.IndexOf('`', StringComparison.Ordinal);
        string bare = tick < 0 ? t.Name : t.Name[..tick];
        if (!t.IsGenericType) return outer + bare;
        var args = t.GetGenericArguments();
        if (t.IsNested) args = args[t.DeclaringType!.GetGenericArguments().Length..];
        if (t.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true || (t.IsConstructedGenericType && t.GetGenericTypeDefinition().FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal)))
        {
            var own = tupleNames?.Skip(next).Take(args.Length).ToArray();
            next += args.Length;
            var parts = new string[args.Length];
            for (int i = 0; i < args.Length; i++)
            {
                parts[i] = Name(args[i], tupleNames, ref next) + (own is { } o && i < o.Length && o[i] is { } n ? " " + n : "");
            }
            return "(" + string.Join(", ", parts) + ")";
        }
        if (args.Length == 0) return outer + bare;
        var generic = new string[args.Length];
        for (int i = 0; i < args.Length; i++) generic[i] = Name(args[i], tupleNames, ref next);
        return outer + bare + "<" + string.Join(", ", generic) + ">";
    }
}

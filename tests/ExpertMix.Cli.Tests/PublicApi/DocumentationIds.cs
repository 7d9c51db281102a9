// The C# compiler's documentation-comment IDs ("T:", "M:", "P:", "F:", "E:") of reflected members, to look them up in the XML file.
using System.Reflection;

namespace ExpertMix.Cli.Tests.PublicApi;

/// <summary>
/// Documentation IDs as the compiler writes them into &lt;member name="…"&gt;: <c>T:Ns.Outer.Inner`1</c>,
/// <c>M:Ns.Type.#ctor(System.Int32,System.String@)</c>, <c>M:Ns.Type.Map``1(``0[],System.Collections.Generic.IReadOnlyList{`0})</c>,
/// <c>P:Ns.Type.Item(System.Int32)</c>, conversion operators with <c>~ReturnType</c>.
/// </summary>
internal static class DocumentationIds
{
    /// <summary>The ID of a type.</summary>
    public static string Of(Type type) => "T:" + TypeId(type);

    /// <summary>The ID of a field, constructor, method, property or event.</summary>
    public static string Of(MemberInfo member)
    {
        string owner = TypeId(member.DeclaringType!);
        return member switch
        {
            FieldInfo f => $"F:{owner}.{f.Name}",
            EventInfo e => $"E:{owner}.{e.Name}",
            PropertyInfo p => $"P:{owner}.{p.Name}{ParameterList(p.GetIndexParameters())}",
            ConstructorInfo c => $"M:{owner}.#ctor{ParameterList(c.GetParameters())}",
            MethodInfo m => $"M:{owner}.{m.Name}{(m.IsGenericMethodDefinition ? "``" + m.GetGenericArguments().Length : "")}{ParameterList(m.GetParameters())}"
                + (m.Name is "op_Implicit" or "op_Explicit" ? "~" + Encode(m.ReturnType) : ""),
            _ => throw new ArgumentException($"no documentation ID for {member.MemberType} {member}", nameof(member)),
        };
    }

    private static string TypeId(Type t) => t.IsNested ? TypeId(t.DeclaringType!) + "." + t.Name : (t.Namespace is null ? "" : t.Namespace + ".") + t.Name;

    private static string ParameterList(ParameterInfo[] ps) => ps.Length == 0 ? "" : "(" + string.Join(",", ps.Select(p => Encode(p.ParameterType))) + ")";

    private static string Encode(Type t)
    {
        if (t.IsByRef) return Encode(t.GetElementType()!) + "@";
        if (t.IsPointer) return Encode(t.GetElementType()!) + "*";
        if (t.IsArray) return Encode(t.GetElementType()!) + (t.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", t.GetArrayRank())) + "]");
        if (t.IsGenericParameter) return (t.DeclaringMethod is null ? "`" : "``") + t.GenericParameterPosition;
        if (!t.IsConstructedGenericType) return TypeId(t);
        var args = t.GetGenericArguments();
        return Constructed(t.GetGenericTypeDefinition(), args, out _);
    }

    /// <summary>Ns.Outer{A}.Inner{B}: each level takes its own share of the generic arguments.</summary>
    private static string Constructed(Type definition, Type[] args, out int used)
    {
        string prefix;
        used = 0;
        if (definition.IsNested)
        {
            prefix = Constructed(definition.DeclaringType!, args, out used) + ".";
        }
        else
        {
            prefix = definition.Namespace is null ? "" : definition.Namespace + ".";
        }
        int tick = definition.Name.IndexOf('`', StringComparison.Ordinal);
        if (tick < 0) return prefix + definition.Name;
        int count = int.Parse(definition.Name.AsSpan(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
        string own = "{" + string.Join(",", args.Skip(used).Take(count).Select(Encode)) + "}";
        used += count;
        return prefix + definition.Name[..tick] + own;
    }
}

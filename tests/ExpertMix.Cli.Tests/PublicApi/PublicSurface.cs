// Which types and members of an assembly are public surface: exported types and their public/protected, source-written members.
using System.Reflection;
using System.Runtime.CompilerServices;

namespace ExpertMix.Cli.Tests.PublicApi;

/// <summary>Enumerates the public surface by reflection (compiler-synthesized members, accessors and enum internals excluded).</summary>
internal static class PublicSurface
{
    /// <summary>The five src assemblies, bottom layer first (the CLI's assembly is named <c>expertmix</c>).</summary>
    public static readonly string[] Assemblies = ["ExpertMix.Tensors", "ExpertMix.Nn", "ExpertMix.Models", "ExpertMix.Adapters", "expertmix"];

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Loads <paramref name="name"/> (already referenced by the test project).</summary>
    public static Assembly Load(string name) => Assembly.Load(new AssemblyName(name));

    /// <summary>Exported types (public, nested in public types included), ordered by full name.</summary>
    public static IReadOnlyList<Type> Types(Assembly assembly) =>
        [.. assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal)];

    /// <summary>
    /// Members a caller outside the assembly can see and that were written in source: public members, plus protected
    /// ones of unsealed classes; no accessors, no <see cref="CompilerGeneratedAttribute"/> members (record
    /// Equals/ToString/Clone…), no enum <c>value__</c>, nothing of a delegate (its signature is the type's).
    /// </summary>
    public static IReadOnlyList<MemberInfo> Members(Type type)
    {
        if (typeof(Delegate).IsAssignableFrom(type)) return [];
        var list = new List<MemberInfo>();
        foreach (var m in type.GetMembers(Declared))
        {
            if (m is Type || !IsVisible(m, type) || m.IsDefined(typeof(CompilerGeneratedAttribute), false)) continue;
            if (m is MethodInfo mi && mi.IsSpecialName && !mi.Name.StartsWith("op_", StringComparison.Ordinal)) continue;
            if (m is FieldInfo fi && fi.IsSpecialName) continue;
            if (m is ConstructorInfo ci && ci.IsStatic) continue;
            list.Add(m);
        }
        return list;
    }

    private static bool IsVisible(MemberInfo m, Type owner)
    {
        bool protectedOk = !owner.IsSealed && !owner.IsValueType;
        return m switch
        {
            MethodBase b => b.IsPublic || (protectedOk && (b.IsFamily || b.IsFamilyOrAssembly)),
            FieldInfo f => f.IsPublic || (protectedOk && (f.IsFamily || f.IsFamilyOrAssembly)),
            PropertyInfo p => Accessors(p).Any(a => IsVisible(a, owner)),
            EventInfo e => e.AddMethod is { } add && IsVisible(add, owner),
            _ => false,
        };
    }

    /// <summary>The get and set accessors of <paramref name="p"/> that exist (any visibility).</summary>
    public static IEnumerable<MethodInfo> Accessors(PropertyInfo p)
    {
        if (p.GetMethod is { } g) yield return g;
        if (p.SetMethod is { } s) yield return s;
    }

    /// <summary>True when a caller outside the assembly can use <paramref name="accessor"/>.</summary>
    public static bool IsVisibleAccessor(MethodInfo accessor, Type owner) => IsVisible(accessor, owner);
}

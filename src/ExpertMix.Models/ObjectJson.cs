// Report objects (records, anonymous types, dictionaries, lists) to JSON by walking their properties: works in NativeAOT.
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ExpertMix.Models;

/// <summary>How <see cref="ObjectJson"/> names properties and writes enums, non-finite numbers and whitespace.</summary>
/// <param name="PropertyNaming">Applied to property names and dictionary keys without a [JsonPropertyName]; null keeps them.</param>
/// <param name="Enums">How enum values are written.</param>
/// <param name="NonFinite">What a NaN or infinite float/double becomes.</param>
/// <param name="Indented">Indent the output.</param>
/// <param name="Encoder">The text encoder (null = System.Text.Json's default, which escapes non-ASCII).</param>
public sealed record ObjectJsonOptions(JsonNamingPolicy? PropertyNaming = null, EnumJson Enums = EnumJson.Numbers,
    NonFiniteJson NonFinite = NonFiniteJson.Error, bool Indented = false, System.Text.Encodings.Web.JavaScriptEncoder? Encoder = null);

/// <summary>How enum values are written.</summary>
public enum EnumJson
{
    /// <summary>The underlying integer (System.Text.Json's default).</summary>
    Numbers,

    /// <summary>The member name, snake_case lower (what JsonStringEnumConverter(SnakeCaseLower) writes).</summary>
    SnakeCaseNames,
}

/// <summary>What a NaN or ±infinity becomes.</summary>
public enum NonFiniteJson
{
    /// <summary>An <see cref="ArgumentException"/>, as System.Text.Json's default does.</summary>
    Error,

    /// <summary>The strings "NaN", "Infinity", "-Infinity" (JsonNumberHandling.AllowNamedFloatingPointLiterals).</summary>
    NamedLiterals,
}

/// <summary>
/// Serializes an object graph the way System.Text.Json's reflection serializer would for plain report objects —
/// public readable instance properties in declaration order (the derived type's first), [JsonPropertyName] and [JsonIgnore]
/// honoured; dictionaries as objects; other enumerables as arrays; JsonNode/JsonElement values as they are — but
/// only through <see cref="PropertyInfo.GetValue(object)"/>, which NativeAOT supports for the kept types, instead of
/// the generic metadata (<c>JsonPropertyInfo&lt;int?&gt;</c> …) that reflection serialization cannot create there.
/// </summary>
public static class ObjectJson
{
    /// <summary>The JSON text of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">A non-finite number with <see cref="NonFiniteJson.Error"/>, or a reference cycle.</exception>
    public static string Serialize(object? value, ObjectJsonOptions? options = null)
    {
        options ??= new ObjectJsonOptions();
        var node = ToNode(value, options);
        var writerOptions = new JsonSerializerOptions { WriteIndented = options.Indented, Encoder = options.Encoder };
        return node?.ToJsonString(writerOptions) ?? "null";
    }

    /// <summary>The JSON tree of <paramref name="value"/> (null for null).</summary>
    public static JsonNode? ToNode(object? value, ObjectJsonOptions? options = null) =>
        Convert(value, options ?? new ObjectJsonOptions(), new HashSet<object>(ReferenceEqualityComparer.Instance));

    private static JsonNode? Convert(object? value, ObjectJsonOptions o, HashSet<object> path)
    {
        switch (value)
        {
            case null: return null;
            case JsonNode n: return n.DeepClone();
            case JsonElement e: return JsonNode.Parse(e.GetRawText());
            case string s: return JsonValue.Create(s);
            case bool b: return JsonValue.Create(b);
            case char c: return JsonValue.Create(c.ToString());
            case Enum e: return EnumValue(e, o);
            case double d: return double.IsFinite(d) ? JsonValue.Create(d) : NonFinite(d, o);
            case float f: return float.IsFinite(f) ? JsonValue.Create(f) : NonFinite(f, o);
            case decimal m: return JsonValue.Create(m);
            case sbyte or byte or short or ushort or int: return JsonValue.Create(System.Convert.ToInt32(value, CultureInfo.InvariantCulture));
            case uint or long: return JsonValue.Create(System.Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case ulong u: return JsonValue.Create(u);
            case DateTime t: return JsonValue.Create(t);
            case DateTimeOffset t: return JsonValue.Create(t);
            case Guid g: return JsonValue.Create(g);
        }
        if (!value.GetType().IsValueType && !path.Add(value)) throw new ArgumentException($"a reference cycle through {value.GetType().Name} cannot be written as JSON");
        try
        {
            return value switch
            {
                IDictionary d => DictionaryNode(d, o, path),
                IEnumerable items => new JsonArray(items.Cast<object?>().Select(x => Convert(x, o, path)).ToArray()),
                _ => ObjectNode(value, o, path),
            };
        }
        finally
        {
            path.Remove(value);
        }
    }

    private static JsonObject DictionaryNode(IDictionary d, ObjectJsonOptions o, HashSet<object> path)
    {
        var node = new JsonObject();
        foreach (DictionaryEntry entry in d)
        {
            string key = System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
            node[key] = Convert(entry.Value, o, path);
        }
        return node;
    }

    private static JsonObject ObjectNode(object value, ObjectJsonOptions o, HashSet<object> path)
    {
        var node = new JsonObject();
        foreach (var p in Properties(value.GetType()))
        {
            var ignore = p.GetCustomAttribute<JsonIgnoreAttribute>();
            if (ignore?.Condition == JsonIgnoreCondition.Always) continue;
            object? v = p.GetValue(value);
            if (v is null && ignore?.Condition == JsonIgnoreCondition.WhenWritingNull) continue;
            string name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? o.PropertyNaming?.ConvertName(p.Name) ?? p.Name;
            node[name] = Convert(v, o, path);
        }
        return node;
    }

    /// <summary>Public readable, non-indexer instance properties: the type's own first, then its base types', each in declaration order.</summary>
    private static IEnumerable<PropertyInfo> Properties(Type type)
    {
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0) yield return p;
            }
        }
    }

    private static JsonNode EnumValue(Enum e, ObjectJsonOptions o) => o.Enums == EnumJson.SnakeCaseNames
        ? JsonValue.Create(JsonNamingPolicy.SnakeCaseLower.ConvertName(e.ToString()))
        : JsonValue.Create(System.Convert.ToInt64(e, CultureInfo.InvariantCulture));

    private static JsonNode NonFinite(double d, ObjectJsonOptions o)
    {
        if (o.NonFinite == NonFiniteJson.Error) throw new ArgumentException($"{d.ToString(CultureInfo.InvariantCulture)} is not a valid JSON number");
        return JsonValue.Create(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }
}

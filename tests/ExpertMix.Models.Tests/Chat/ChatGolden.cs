// Loads Golden/chat/chat_templates.json (written by tools/golden/chat_templates.py with Python's jinja2).
using System.Text.Json;
using ExpertMix.Models.Chat;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Chat;

/// <summary>The jinja2 chat-template golden file: shipped templates with their cases, and engine snippets.</summary>
internal static class ChatGolden
{
    public const string FormatVersion = "1";

    private static readonly Lazy<JsonElement> RootLazy = new(Load);

    public static JsonElement Root => RootLazy.Value;

    /// <summary>The fixed time the script gives strftime_now.</summary>
    public static DateTimeOffset FixedNow => new(DateTime.Parse(Root.GetProperty("fixed_now").GetString()!, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero);

    private static JsonElement Load()
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Golden", "chat", "chat_templates.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement.Clone();
        var version = root.GetProperty("format_version").GetString();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{path}: format_version {version}, tests expect {FormatVersion}; regenerate with: {root.GetProperty("command").GetString()}");
        }
        return root;
    }

    public static IEnumerable<JsonElement> Templates => Root.GetProperty("templates").EnumerateArray();

    public static JsonElement Template(string name) => Templates.Single(t => t.GetProperty("name").GetString() == name);

    public static JsonElement Case(string template, string caseName) =>
        Template(template).GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == caseName);

    public static JsonElement Snippet(string name) =>
        Root.GetProperty("snippets").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    public static string? Str(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A JSON object as a dictionary whose values stay JsonElement (the engine converts them).</summary>
    public static Dictionary<string, object?> Dict(JsonElement obj)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject()) d[p.Name] = p.Value;
        return d;
    }

    /// <summary>Asserts the rendering outcome recorded by jinja2: exact text, or the same failure.</summary>
    public static void AssertOutcome(JsonElement golden, Func<string> render, string label)
    {
        var errorType = Str(golden, "error_type");
        if (errorType is null)
        {
            var expected = Str(golden, "expected")!;
            var actual = render();
            if (expected != actual)
            {
                int i = 0;
                while (i < Math.Min(expected.Length, actual.Length) && expected[i] == actual[i]) i++;
                Assert.Fail($"{label}: rendering differs from jinja2 at char {i}\n--- expected (jinja2)\n{expected}\n--- actual\n{actual}\n--- expected from {i}: {Show(expected, i)}\n--- actual from {i}: {Show(actual, i)}");
            }
            return;
        }
        var ex = Assert.ThrowsAny<ChatTemplateException>(() => render());
        var message = Str(golden, "error")!;
        switch (errorType)
        {
            case "TemplateSyntaxError":
                var syntax = Assert.IsType<ChatTemplateSyntaxException>(ex);
                Assert.Equal(message, syntax.Reason);
                Assert.Equal(golden.GetProperty("line").GetInt32(), syntax.Line);
                break;
            case "TemplateError":
                Assert.Contains(ex.Kind, new[] { ChatTemplateErrorKind.Raised, ChatTemplateErrorKind.Security });
                Assert.Equal(message, ex.Message);
                break;
            case "UndefinedError":
                Assert.Equal(ChatTemplateErrorKind.Undefined, ex.Kind);
                Assert.Equal(message, ex.Message);
                break;
            default:
                // Python-level errors (TypeError, ZeroDivisionError, ...): same failure class, wording not compared.
                Assert.Equal(ChatTemplateErrorKind.Type, ex.Kind);
                break;
        }
    }

    private static string Show(string s, int from) => JsonSerializer.Serialize(s[from..Math.Min(s.Length, from + 60)]);
}

// A parsed Hugging Face chat template (Jinja2 subset) rendered exactly like transformers' jinja2 environment.
using System.Text.Json;
using ExpertMix.Models.Chat.Jinja;

namespace ExpertMix.Models.Chat;

/// <summary>
/// A Hugging Face <c>chat_template</c> parsed by a Jinja2 subset engine that renders exactly like Python's
/// jinja2 configured as transformers does: <c>ImmutableSandboxedEnvironment(trim_blocks=True,
/// lstrip_blocks=True)</c> with the loopcontrols extension (<c>break</c>/<c>continue</c>), the
/// <c>{% generation %}</c> tag, <c>tojson</c> as <c>json.dumps(ensure_ascii=False)</c> (indent, separators and
/// sort_keys supported), and the globals <c>raise_exception</c>, <c>strftime_now</c>, <c>namespace</c>,
/// <c>range</c>, <c>dict</c>. Parsing is done once; <see cref="Render"/> is thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<Node> _body;

    private ChatTemplate(string source, List<Node> body, string? bosToken, string? eosToken)
    {
        Source = source;
        _body = body;
        BosToken = bosToken;
        EosToken = eosToken;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The tokenizer config's bos_token (null when parsed from text or absent).</summary>
    public string? BosToken { get; }

    /// <summary>The tokenizer config's eos_token (null when parsed from text or absent).</summary>
    public string? EosToken { get; }

    /// <summary>Parses template text.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ChatTemplateSyntaxException">Invalid Jinja, or a construct outside the supported subset; names line and column.</exception>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, JinjaParser.Parse(source), null, null);
    }

    /// <summary>
    /// Loads the chat template of a <c>tokenizer_config.json</c>: <c>chat_template</c> as a string, or as a list
    /// of <c>{name, template}</c> from which <paramref name="templateName"/> is taken; when the key is absent a
    /// sibling <c>chat_template.jinja</c> is used. bos_token / eos_token (strings or AddedToken dicts with
    /// "content") become <see cref="BosToken"/> / <see cref="EosToken"/>.
    /// </summary>
    /// <returns>The template, or null when the config has none.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Malformed JSON, a chat_template of the wrong type, or no template named <paramref name="templateName"/>.</exception>
    /// <exception cref="ChatTemplateSyntaxException">The template text is invalid.</exception>
    public static ChatTemplate? FromTokenizerConfig(string path, string templateName = "default")
        => FromTokenizerConfigFile(path, templateName);

    /// <summary>
    /// The chat template of a Hugging Face model directory: <see cref="FromTokenizerConfig"/> of its
    /// <c>tokenizer_config.json</c>, or null when the directory has no such file (base models often have none).
    /// </summary>
    /// <exception cref="InvalidDataException">The config exists but is malformed (see <see cref="FromTokenizerConfig"/>).</exception>
    public static ChatTemplate? FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string path = Path.Combine(directory, "tokenizer_config.json");
        return File.Exists(path) ? FromTokenizerConfigFile(path, "default") : null;
    }

    private static ChatTemplate? FromTokenizerConfigFile(string path, string templateName)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer config not found: {path}", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
            string? bos = TokenContent(root, "bos_token", path), eos = TokenContent(root, "eos_token", path);
            string? text = null;
            if (root.TryGetProperty("chat_template", out var t))
            {
                text = t.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => t.GetString(),
                    JsonValueKind.Array => Named(t, templateName, path),
                    _ => throw new InvalidDataException($"{path}: 'chat_template' must be a string or a list of {{name, template}}, got {t.ValueKind}"),
                };
            }
            else
            {
                var sibling = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "chat_template.jinja");
                if (File.Exists(sibling)) text = File.ReadAllText(sibling);
            }
            return text is null ? null : new ChatTemplate(text, JinjaParser.Parse(text), bos, eos);
        }
    }

    private static string Named(JsonElement list, string name, string path)
    {
        var names = new List<string>();
        foreach (var e in list.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                || !e.TryGetProperty("template", out var tpl) || tpl.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{path}: every 'chat_template' list entry needs string 'name' and 'template'");
            }
            if (n.GetString() == name) return tpl.GetString()!;
            names.Add(n.GetString()!);
        }
        throw new InvalidDataException($"{path}: no chat template named '{name}' (available: {string.Join(", ", names)})");
    }

    private static string? TokenContent(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => throw new InvalidDataException($"{path}: '{key}' must be a string or an AddedToken object with 'content'"),
        };
    }

    /// <summary>Renders the template with the variables described on <see cref="ChatTemplateInput"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">A variable holds a CLR type outside the value model.</exception>
    /// <exception cref="ChatTemplateException">The template called <c>raise_exception</c> (exact message, kind Raised), used an undefined value, or hit a type error.</exception>
    public string Render(ChatTemplateInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var vars = new List<KeyValuePair<string, object?>>
        {
            new("messages", JinjaOps.FromClr(input.Messages)),
            new("tools", JinjaOps.FromClr(input.Tools)),
            new("documents", JinjaOps.FromClr(input.Documents)),
            new("add_generation_prompt", input.AddGenerationPrompt),
        };
        if ((input.BosToken ?? BosToken) is { } bos) vars.Add(new("bos_token", bos));
        if ((input.EosToken ?? EosToken) is { } eos) vars.Add(new("eos_token", eos));
        if (input.Extra is not null)
        {
            foreach (var kv in input.Extra) vars.Add(new(kv.Key, JinjaOps.FromClr(kv.Value)));
        }
        return JinjaInterpreter.Render(_body, vars, input.Now ?? DateTimeOffset.Now);
    }

    /// <summary>Renders with arbitrary variables (no transformers defaults), e.g. to test template snippets.</summary>
    /// <exception cref="ChatTemplateException">As for <see cref="Render(ChatTemplateInput)"/>.</exception>
    public string RenderVariables(IReadOnlyDictionary<string, object?> variables, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return JinjaInterpreter.Render(_body, variables.Select(kv => new KeyValuePair<string, object?>(kv.Key, JinjaOps.FromClr(kv.Value))), now ?? DateTimeOffset.Now);
    }
}

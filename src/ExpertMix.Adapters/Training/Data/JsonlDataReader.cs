// Reads training rows from JSON Lines: {"text"}, {"prompt","completion"} or {"messages"} per line.
using System.Text;
using System.Text.Json;
using ExpertMix.Models.Chat;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>
/// Reads a JSONL training file. Every non-empty line is one JSON object of one of three shapes:
/// <c>{"text": string}</c>, <c>{"prompt": string, "completion": string}</c> or
/// <c>{"messages": [{"role": string, "content": string, ...}, ...]}</c>. Other keys (e.g. "id") are ignored;
/// extra keys of a message (e.g. "reasoning_content") are passed to the chat template. A line with keys of more
/// than one shape is refused as ambiguous. Kinds may be mixed within one file (each row is tokenised by its own
/// kind). Empty (whitespace-only) lines are skipped; a UTF-8 BOM on the first line is ignored.
/// </summary>
internal static class JsonlDataReader
{
    private const string Expected = "expected {\"text\": string}, {\"prompt\": string, \"completion\": string} or {\"messages\": [{\"role\": string, \"content\": string}, ...]}";

    /// <summary>Reads every row of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not valid JSON or has an unknown shape; the message names file:line and what was expected.</exception>
    public static IReadOnlyList<DataRow> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: training data file not found", path);
        var rows = new List<DataRow>();
        int lineNo = 0;
        using var reader = new StreamReader(path, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true);
        string? line;
        while (true)
        {
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"{path}:{lineNo + 1}: not valid UTF-8: {e.Message}", e);
            }
            if (line is null) break;
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            rows.Add(ParseLine(line, $"{path}:{lineNo}"));
        }
        return rows;
    }

    /// <summary>Parses one JSONL line; <paramref name="source"/> (e.g. "file:line") prefixes error messages.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON or an unknown shape.</exception>
    public static DataRow ParseLine(string line, string source)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(source);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: malformed JSON ({e.Message}); {Expected}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: got a JSON {root.ValueKind}; {Expected}");
            bool text = root.TryGetProperty("text", out var textEl);
            bool prompt = root.TryGetProperty("prompt", out var promptEl);
            bool completion = root.TryGetProperty("completion", out var completionEl);
            bool messages = root.TryGetProperty("messages", out var messagesEl);
            int shapes = (text ? 1 : 0) + (prompt || completion ? 1 : 0) + (messages ? 1 : 0);
            if (shapes > 1) throw new InvalidDataException($"{source}: ambiguous row, it has keys of more than one shape ({Keys(root)}); {Expected}");
            if (text) return DataRow.FromText(String(textEl, "text", source), source);
            if (prompt || completion)
            {
                if (!prompt || !completion) throw new InvalidDataException($"{source}: a prompt/completion row needs both \"prompt\" and \"completion\" (got keys {Keys(root)})");
                return DataRow.FromPromptCompletion(String(promptEl, "prompt", source), String(completionEl, "completion", source), source);
            }
            if (messages) return DataRow.FromMessages(Messages(messagesEl, source), source);
            throw new InvalidDataException($"{source}: unknown row shape (keys {Keys(root)}); {Expected}");
        }
    }

    private static string Keys(JsonElement obj) => "[" + string.Join(", ", obj.EnumerateObject().Select(p => p.Name)) + "]";

    private static string String(JsonElement e, string key, string source) => e.ValueKind == JsonValueKind.String
        ? e.GetString()!
        : throw new InvalidDataException($"{source}: \"{key}\" must be a string, got {e.ValueKind}");

    private static List<ChatMessage> Messages(JsonElement list, string source)
    {
        if (list.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: \"messages\" must be an array of {{\"role\", \"content\"}} objects, got {list.ValueKind}");
        var result = new List<ChatMessage>();
        int i = 0;
        foreach (var m in list.EnumerateArray())
        {
            string where = $"{source}: messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where} must be an object with string \"role\" and \"content\", got {m.ValueKind}");
            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{where} needs a string \"role\" (keys {Keys(m)})");
            if (!m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{where} needs a string \"content\" (keys {Keys(m)})");
            OrderedDictionary<string, object?>? extra = null;
            foreach (var p in m.EnumerateObject())
            {
                if (p.Name is "role" or "content") continue;
                (extra ??= new OrderedDictionary<string, object?>(StringComparer.Ordinal))[p.Name] = p.Value.Clone();
            }
            result.Add(new ChatMessage(role.GetString()!, content.GetString()!) { Extra = extra });
        }
        if (result.Count == 0) throw new InvalidDataException($"{source}: \"messages\" is empty; a conversation needs at least one message");
        return result;
    }
}

// JSONL readers for scoring data (perplexity rows and multiple-choice rows) with file:line error messages.
using System.Globalization;
using System.Text.Json;

namespace ExpertMix.Models.Generation;

/// <summary>
/// Reads scoring data as JSON Lines (one object per line; blank lines are skipped; unknown keys are ignored).
/// Perplexity rows: <c>{"text": "…"}</c> or <c>{"prompt": "…", "completion": "…"}</c>. Multiple-choice rows:
/// <c>{"context": "…"}</c> or <c>{"question": "…"}</c>, plus <c>"choices": ["…", …]</c> and <c>"answer"</c> or
/// <c>"label"</c> (an integer index, or a string holding one). Every malformed row fails with
/// <see cref="InvalidDataException"/> whose message starts with "source:line:" and says what was expected.
/// </summary>
public static class ScoringData
{
    /// <summary>Reads perplexity rows from the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A row is malformed, or the file has no rows.</exception>
    public static IReadOnlyList<ScoringRow> ReadTextRows(string path)
    {
        using var reader = Open(path);
        return ReadTextRows(reader, path);
    }

    /// <summary>Reads perplexity rows from <paramref name="reader"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">A row is malformed, or there are no rows.</exception>
    public static IReadOnlyList<ScoringRow> ReadTextRows(TextReader reader, string source)
    {
        var rows = new List<ScoringRow>();
        foreach (var (line, root) in Lines(reader, source))
        {
            string where = $"{source}:{line}";
            bool hasText = root.TryGetProperty("text", out var text);
            bool hasPrompt = root.TryGetProperty("prompt", out var prompt);
            bool hasCompletion = root.TryGetProperty("completion", out var completion);
            if (hasText && (hasPrompt || hasCompletion))
            {
                throw new InvalidDataException($"{where}: a row has either \"text\" or \"prompt\" + \"completion\", not both");
            }
            if (hasText)
            {
                rows.Add(new ScoringRow(line, null, NonEmptyString(text, "text", where)));
            }
            else if (hasPrompt && hasCompletion)
            {
                rows.Add(new ScoringRow(line, String(prompt, "prompt", where), NonEmptyString(completion, "completion", where)));
            }
            else
            {
                string got = hasPrompt ? "only \"prompt\"" : hasCompletion ? "only \"completion\"" : "neither";
                throw new InvalidDataException($"{where}: expected {{\"text\": …}} or {{\"prompt\": …, \"completion\": …}}, got {got}");
            }
        }
        if (rows.Count == 0) throw new InvalidDataException($"{source}: no rows (expected JSON Lines with \"text\" or \"prompt\"/\"completion\")");
        return rows;
    }

    /// <summary>Reads multiple-choice rows from the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A row is malformed, or the file has no rows.</exception>
    public static IReadOnlyList<ChoiceRow> ReadChoiceRows(string path)
    {
        using var reader = Open(path);
        return ReadChoiceRows(reader, path);
    }

    /// <summary>Reads multiple-choice rows from <paramref name="reader"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">A row is malformed, or there are no rows.</exception>
    public static IReadOnlyList<ChoiceRow> ReadChoiceRows(TextReader reader, string source)
    {
        var rows = new List<ChoiceRow>();
        foreach (var (line, root) in Lines(reader, source))
        {
            string where = $"{source}:{line}";
            string context = String(OneOf(root, "context", "question", where), "context", where);
            if (!root.TryGetProperty("choices", out var choicesElement) || choicesElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{where}: \"choices\" must be an array of strings");
            }
            var choices = new List<string>();
            foreach (var c in choicesElement.EnumerateArray()) choices.Add(NonEmptyString(c, $"choices[{choices.Count}]", where));
            if (choices.Count < 2) throw new InvalidDataException($"{where}: \"choices\" has {choices.Count} entries; a multiple-choice row needs at least 2");
            var answerElement = OneOf(root, "answer", "label", where);
            int answer = answerElement.ValueKind switch
            {
                JsonValueKind.Number when answerElement.TryGetInt32(out int a) => a,
                JsonValueKind.String when int.TryParse(answerElement.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out int a) => a,
                _ => throw new InvalidDataException($"{where}: \"answer\"/\"label\" must be an integer choice index, got {answerElement.GetRawText()}"),
            };
            if ((uint)answer >= (uint)choices.Count) throw new InvalidDataException($"{where}: answer {answer} is not a valid index into {choices.Count} choices");
            rows.Add(new ChoiceRow(line, context, choices, answer));
        }
        if (rows.Count == 0) throw new InvalidDataException($"{source}: no rows (expected JSON Lines with \"context\"/\"question\", \"choices\", \"answer\"/\"label\")");
        return rows;
    }

    private static StreamReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"scoring data file not found: {path}", path);
        return new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
    }

    private static IEnumerable<(int Line, JsonElement Root)> Lines(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int line = 0;
        string? s;
        while ((s = reader.ReadLine()) is not null)
        {
            line++;
            if (string.IsNullOrWhiteSpace(s)) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(s);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{source}:{line}: invalid JSON: {e.Message}", e);
            }
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}:{line}: each line must be a JSON object, got {root.ValueKind}");
            yield return (line, root);
        }
    }

    private static JsonElement OneOf(JsonElement root, string a, string b, string where)
    {
        bool hasA = root.TryGetProperty(a, out var ea), hasB = root.TryGetProperty(b, out var eb);
        if (hasA && hasB) throw new InvalidDataException($"{where}: give either \"{a}\" or \"{b}\", not both");
        if (!hasA && !hasB) throw new InvalidDataException($"{where}: missing \"{a}\" (or \"{b}\")");
        return hasA ? ea : eb;
    }

    private static string String(JsonElement e, string name, string where) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidDataException($"{where}: \"{name}\" must be a string, got {e.ValueKind}");

    private static string NonEmptyString(JsonElement e, string name, string where)
    {
        string s = String(e, name, where);
        return s.Length > 0 ? s : throw new InvalidDataException($"{where}: \"{name}\" is empty; there is nothing to score");
    }
}

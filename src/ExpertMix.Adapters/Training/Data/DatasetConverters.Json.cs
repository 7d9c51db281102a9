// Converters for the JSON-document sets (PubMedQA, TAT-QA) and the shared JSON helpers.
using System.Text;
using System.Text.Json;

namespace ExpertMix.Adapters.Training.Data;

internal static partial class DatasetConverters
{
    /// <summary>
    /// PubMedQA PQA-L <c>ori_pqal.json</c>: an object keyed by PMID, each value with QUESTION, CONTEXTS (list of
    /// abstract sections), LONG_ANSWER (the abstract's conclusion) and final_decision (yes/no/maybe). The
    /// <paramref name="split"/> uses <c>test_ground_truth.json</c> beside the file (its keys are the 500 test
    /// PMIDs). Row: prompt = "Context:\n" + the contexts one per line + "Question: {QUESTION}\nAnswer:\n",
    /// completion = "{LONG_ANSWER}\nDecision: {final_decision}" — the long answer first (the reasoning, as in
    /// the reasoning-required setting), then the decision on its own line so it can be parsed like GSM8K's
    /// "#### N". Rows follow the file's key order.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file, or test_ground_truth.json for Train/Test, is missing.</exception>
    public static IEnumerable<PromptCompletion> ReadPubMedQa(string sourceFile, PubMedQaSplit split = PubMedQaSplit.Train)
    {
        using var doc = JsonDocumentOf(sourceFile);
        HashSet<string>? test = null;
        if (split != PubMedQaSplit.All)
        {
            string gt = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(sourceFile)) ?? ".", "test_ground_truth.json");
            using var gtDoc = JsonDocumentOf(gt);
            if (gtDoc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{gt}: expected an object keyed by PMID");
            test = gtDoc.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{sourceFile}: expected an object keyed by PMID");
        var rows = new List<PromptCompletion>();
        foreach (var item in doc.RootElement.EnumerateObject())
        {
            if (test is not null && test.Contains(item.Name) != (split == PubMedQaSplit.Test)) continue;
            string where = $"{sourceFile}: PMID {item.Name}";
            var v = item.Value;
            var prompt = new StringBuilder("Context:\n");
            foreach (var c in Prop(v, "CONTEXTS", JsonValueKind.Array, where).EnumerateArray())
            {
                if (c.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{where}: \"CONTEXTS\" must hold strings");
                prompt.Append(c.GetString()).Append('\n');
            }
            prompt.Append($"Question: {Str(v, "QUESTION", where)}\nAnswer:\n");
            rows.Add(new PromptCompletion(prompt.ToString(), $"{Str(v, "LONG_ANSWER", where)}\nDecision: {Str(v, "final_decision", where)}"));
        }
        return rows;
    }

    /// <summary>
    /// TAT-QA <c>tatqa_dataset_*.json</c>: an array of contexts <c>{"table": {"table": [[cell]]}, "paragraphs":
    /// [{"order", "text"}], "questions": [{"question", "answer", "scale", …}]}</c>; one row per question. Prompt =
    /// "Table:\n" + each table row as cells joined by " | " + "\nParagraphs:\n" + paragraph texts by "order", one
    /// per line + "Question: {question}\nAnswer:\n". Completion = the answer (a list joined by ", ", a number as
    /// written in the file, or a string) followed by " {scale}" when the scale (thousand, million, percent, …) is
    /// not empty.
    /// </summary>
    public static IEnumerable<PromptCompletion> ReadTatQa(string sourceFile)
    {
        using var doc = JsonDocumentOf(sourceFile);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{sourceFile}: expected an array of table contexts");
        var rows = new List<PromptCompletion>();
        int index = 0;
        foreach (var ctx in doc.RootElement.EnumerateArray())
        {
            string where = $"{sourceFile}: item {index++}";
            var context = new StringBuilder("Table:\n");
            foreach (var r in Prop(Prop(ctx, "table", JsonValueKind.Object, where), "table", JsonValueKind.Array, where).EnumerateArray())
            {
                if (r.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{where}: table rows must be arrays");
                context.AppendJoin(" | ", r.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString() : c.GetRawText())).Append('\n');
            }
            context.Append("Paragraphs:\n");
            var paragraphs = Prop(ctx, "paragraphs", JsonValueKind.Array, where).EnumerateArray()
                .Select(p => (Order: Prop(p, "order", JsonValueKind.Number, where).GetInt32(), Text: Str(p, "text", where)))
                .OrderBy(p => p.Order);
            foreach (var p in paragraphs) context.Append(p.Text).Append('\n');
            foreach (var q in Prop(ctx, "questions", JsonValueKind.Array, where).EnumerateArray())
            {
                string answer = Answer(q.TryGetProperty("answer", out var a) ? a : default, where);
                string scale = q.TryGetProperty("scale", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
                rows.Add(new PromptCompletion($"{context}Question: {Str(q, "question", where)}\nAnswer:\n", scale.Length == 0 ? answer : $"{answer} {scale}"));
            }
        }
        return rows;
    }

    private static string Answer(JsonElement a, string where) => a.ValueKind switch
    {
        JsonValueKind.String => a.GetString()!,
        JsonValueKind.Number => a.GetRawText(),
        JsonValueKind.Array => string.Join(", ", a.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())),
        _ => throw new InvalidDataException($"{where}: a question's \"answer\" must be a string, number or list, got {a.ValueKind}"),
    };

    private static JsonDocument JsonDocumentOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: data set file not found", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Each row of a JSONL data set (<see cref="JsonLinesFile.Read"/>).</summary>
    private static IEnumerable<(JsonElement Row, string Where)> JsonLines(string path) => JsonLinesFile.Read(path);

    private static JsonElement Prop(JsonElement obj, string key, JsonValueKind kind, string where) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out var v) && v.ValueKind == kind
            ? v
            : throw new InvalidDataException($"{where}: expected \"{key}\" of type {kind}");

    private static string Str(JsonElement obj, string key, string where) => Prop(obj, key, JsonValueKind.String, where).GetString()!;
}

// The demo on a user's own model and data: each --domain NAME=FILE becomes train/dev/test files in the demo's layout.
using System.Text;
using System.Text.Json;
using ExpertMix.Adapters;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// Splits a user's prompt/completion JSONL (<c>{"prompt", "completion"}</c> rows; an optional <c>"answer"</c>, else the
/// completion trimmed of whitespace is the exact-match gold) into the demo's <c>{name}.{train|dev|test}.jsonl</c> files.
/// A row goes to dev when FNV-1a(id) mod 10 = 0, to test when it is 1 or 2, to train otherwise (id = the row's
/// <c>"id"</c> or NAME/line), so the split is stable when rows are added.
/// </summary>
internal static class DemoUserData
{
    /// <summary>Writes the three files of every domain into <paramref name="directory"/>.</summary>
    /// <exception cref="UserErrorException">A file is missing or has a row without prompt/completion, a domain name repeats, or a split is empty.</exception>
    public static void Write(IReadOnlyList<(string Name, string File)> domains, string directory)
    {
        Directory.CreateDirectory(directory);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, file) in domains)
        {
            if (!names.Add(name)) throw new UserErrorException($"--domain {name} is given twice");
            if (!File.Exists(file)) throw new UserErrorException($"--domain {name}: file not found: {file}");
            var splits = new Dictionary<DemoSplit, StringBuilder> { [DemoSplit.Train] = new(), [DemoSplit.Dev] = new(), [DemoSplit.Test] = new() };
            IEnumerable<(JsonElement Row, string Where)> rows;
            try
            {
                rows = JsonLinesFile.Read(file).ToList();
            }
            catch (InvalidDataException e)
            {
                throw new UserErrorException(e.Message);
            }
            foreach (var (row, where) in rows)
            {
                string prompt = Field(row, "prompt", where), completion = Field(row, "completion", where);
                string id = row.TryGetProperty("id", out var idEl) ? idEl.ToString() : $"{name}/{where[(where.LastIndexOf(':') + 1)..]}";
                string answer = row.TryGetProperty("answer", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : completion.Trim();
                uint bucket = Fnv1a(id) % 10; // the eval harness's hold-out hash: bucket 0 is its dev split too
                var split = bucket == 0 ? DemoSplit.Dev : bucket <= 2 ? DemoSplit.Test : DemoSplit.Train;
                var output = new Dictionary<string, string> { ["id"] = id, ["domain"] = name, ["prompt"] = prompt, ["completion"] = completion, ["answer"] = answer };
                if (split != DemoSplit.Train) output["split"] = split.ToString().ToLowerInvariant();
                splits[split].Append(CliJson.Serialize(output)).Append('\n');
            }
            foreach (var (split, lines) in splits)
            {
                if (lines.Length == 0) throw new UserErrorException($"--domain {name}: {file} gives no {split.ToString().ToLowerInvariant()} rows (needs at least ~20 rows)");
                AtomicFile.WriteAllBytes(Path.Combine(directory, DemoWorldWriter.FileName(name, split)), new UTF8Encoding(false).GetBytes(lines.ToString()));
            }
        }
    }

    private static string Field(JsonElement row, string key, string where) =>
        row.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new UserErrorException($"{where}: expected a \"{key}\" string (rows are {{\"prompt\", \"completion\"}})");

    private static uint Fnv1a(string id)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(id)) h = (h ^ b) * 16777619;
        return h;
    }
}

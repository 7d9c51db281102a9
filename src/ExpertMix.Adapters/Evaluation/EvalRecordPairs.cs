// Reads the per-example JSONL of two eval runs and pairs their verdicts item by item.
using System.Text.Json;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>One verdict read from an eval records file (<see cref="EvalReport.WriteRecords"/>).</summary>
/// <param name="Seed">The record's seed (0 when the line has none).</param>
/// <param name="Id">The item id.</param>
/// <param name="Correct">The verdict.</param>
/// <param name="Line">1-based line number in the file.</param>
internal sealed record EvalVerdict(int Seed, string Id, bool Correct, int Line);

/// <summary>The verdicts of two runs paired by item, in the order of run A's file.</summary>
/// <param name="A">Run A's verdicts.</param>
/// <param name="B">Run B's verdicts (B[i] is the same item as A[i]).</param>
/// <param name="BySeed">True when items were keyed by (seed, id) because some id repeats within a file.</param>
internal sealed record EvalRecordPairs(IReadOnlyList<bool> A, IReadOnlyList<bool> B, bool BySeed)
{
    /// <summary>
    /// Reads the verdicts of a records file: one JSON object per non-blank line with a string <c>id</c>, a boolean
    /// <c>correct</c> and optionally an integer <c>seed</c>; other fields are ignored.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist (named).</exception>
    /// <exception cref="InvalidDataException">A malformed line (names the file, line and the problem); an empty file.</exception>
    public static List<EvalVerdict> ReadVerdicts(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"eval records file not found: {path}", path);
        var result = new List<EvalVerdict>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement o;
            try
            {
                using var doc = JsonDocument.Parse(line);
                o = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNo}: not valid JSON ({e.Message})", e);
            }
            if (o.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}:{lineNo}: expected a JSON object, got {o.ValueKind}");
            if (!o.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{path}:{lineNo}: missing string field 'id'");
            }
            if (!o.TryGetProperty("correct", out var c) || c.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new InvalidDataException($"{path}:{lineNo}: item '{id.GetString()}' lacks a boolean field 'correct'");
            }
            int seed = 0;
            if (o.TryGetProperty("seed", out var s) && !(s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out seed)))
            {
                throw new InvalidDataException($"{path}:{lineNo}: item '{id.GetString()}' has a non-integer 'seed'");
            }
            result.Add(new EvalVerdict(seed, id.GetString()!, c.GetBoolean(), lineNo));
        }
        if (result.Count == 0) throw new InvalidDataException($"{path}: no records");
        return result;
    }

    /// <summary>
    /// Reads both files and pairs their items. Items are keyed by id when every id occurs once in each file, else by
    /// (seed, id) (multi-seed runs); a key repeated within a file, or an item present in one file only, is an error.
    /// </summary>
    /// <exception cref="InvalidDataException">Malformed lines, duplicate keys, or different item sets (names the file and the id).</exception>
    public static EvalRecordPairs Read(string pathA, string pathB)
    {
        var a = ReadVerdicts(pathA);
        var b = ReadVerdicts(pathB);
        bool bySeed = HasRepeatedId(a) || HasRepeatedId(b);
        var mapA = Index(a, pathA, bySeed);
        var mapB = Index(b, pathB, bySeed);
        foreach (var v in a)
        {
            if (!mapB.ContainsKey(Key(v, bySeed))) throw Mismatch(v, pathA, pathB, bySeed, a.Count(x => !mapB.ContainsKey(Key(x, bySeed))));
        }
        foreach (var v in b)
        {
            if (!mapA.ContainsKey(Key(v, bySeed))) throw Mismatch(v, pathB, pathA, bySeed, b.Count(x => !mapA.ContainsKey(Key(x, bySeed))));
        }
        return new EvalRecordPairs([.. a.Select(v => v.Correct)], [.. a.Select(v => mapB[Key(v, bySeed)].Correct)], bySeed);
    }

    private static bool HasRepeatedId(List<EvalVerdict> verdicts) => verdicts.Select(v => v.Id).Distinct(StringComparer.Ordinal).Count() != verdicts.Count;

    private static (int, string) Key(EvalVerdict v, bool bySeed) => (bySeed ? v.Seed : 0, v.Id);

    private static Dictionary<(int, string), EvalVerdict> Index(List<EvalVerdict> verdicts, string path, bool bySeed)
    {
        var map = new Dictionary<(int, string), EvalVerdict>();
        foreach (var v in verdicts)
        {
            if (!map.TryAdd(Key(v, bySeed), v))
            {
                throw new InvalidDataException($"{path}:{v.Line}: item '{v.Id}' (seed {v.Seed}) already appeared on line {map[Key(v, bySeed)].Line}");
            }
        }
        return map;
    }

    private static InvalidDataException Mismatch(EvalVerdict v, string inFile, string notInFile, bool bySeed, int missing) =>
        new($"the runs cover different items: '{v.Id}'{(bySeed ? $" (seed {v.Seed})" : "")} at {inFile}:{v.Line} is not in {notInFile}"
            + (missing > 1 ? $" ({missing - 1} more such items)" : ""));
}

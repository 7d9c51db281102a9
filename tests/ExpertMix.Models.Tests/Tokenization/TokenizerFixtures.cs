// Shared tokenizer fixtures: loads each shared/tokenizers/<name>/tokenizer.json once per test run.
using System.Collections.Concurrent;
using System.Text.Json;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Tokenization;

/// <summary>Cached tokenizers and golden rows from /work/shared/tokenizers (skips when shared/ is absent).</summary>
internal static class TokenizerFixtures
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Cache = new();

    /// <summary>The tokenizer in shared/<paramref name="relativeDir"/> (skips when missing).</summary>
    public static Tokenizer Load(string relativeDir)
    {
        string dir = SharedData.Require(relativeDir);
        return Cache.GetOrAdd(dir, d => new Lazy<Tokenizer>(() => Tokenizer.FromDirectory(d))).Value;
    }

    /// <summary>The JSON lines of shared/<paramref name="relativeFile"/>.</summary>
    public static List<JsonElement> ReadJsonl(string relativeFile)
    {
        string path = SharedData.Require(relativeFile);
        var rows = new List<JsonElement>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            rows.Add(doc.RootElement.Clone());
        }
        return rows;
    }

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>Shows control and non-ASCII characters as escapes so mismatches are readable.</summary>
    public static string Show(string s)
    {
        var sb = new System.Text.StringBuilder("\"");
        foreach (char c in s.Length > 160 ? s[..160] + "…" : s)
        {
            if (c < 0x20 || c is >= '\u007f' and < '\u00a0' || char.IsSurrogate(c) || c == '\ufffd') sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    public static string ShowIds(IReadOnlyList<int> ids) => "[" + string.Join(",", ids.Take(40)) + (ids.Count > 40 ? ",…" : "") + "]";
}

// Every golden row of shared/tokenizers/<name> (made with the Rust HF tokenizers 0.22.2): encode with and without
// special tokens, decode, decode with special tokens kept and skipped, and decode_golden.jsonl.
using System.Text;
using ExpertMix.Models.Tokenization;
using Xunit.Abstractions;

namespace ExpertMix.Models.Tests.Tokenization;

public sealed class TokenizerGoldenTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => new() { "gpt2", "llama2", "llama3", "qwen3", "gemma3" };

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Every_golden_row_encodes_and_decodes_like_hugging_face(string name)
    {
        var tok = TokenizerFixtures.Load("tokenizers/" + name);
        var rows = TokenizerFixtures.ReadJsonl($"tokenizers/{name}/golden.jsonl");
        var failures = new List<string>();
        int failedRows = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            string text = row.GetProperty("text").GetString()!;
            int before = failures.Count;
            var ids = TokenizerFixtures.Ints(row.GetProperty("ids"));
            var withSpecial = TokenizerFixtures.Ints(row.GetProperty("ids_with_special"));
            IReadOnlyList<int> got;
            try
            {
                got = tok.Encode(text, SpecialTokens.None);
                if (!got.SequenceEqual(ids)) failures.Add(Diff(r, row, "ids", ids, got));
                got = tok.Encode(text, SpecialTokens.Add);
                if (!got.SequenceEqual(withSpecial)) failures.Add(Diff(r, row, "ids_with_special", withSpecial, got));
                Check(r, row, "decoded", tok.Decode(ids, SkipSpecial.No), failures);
                Check(r, row, "decoded_with_special", tok.Decode(withSpecial, SkipSpecial.No), failures);
                Check(r, row, "decoded_with_special_skip", tok.Decode(withSpecial, SkipSpecial.Yes), failures);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or InvalidOperationException)
            {
                failures.Add($"row {r} ({row.GetProperty("source").GetString()}): {e.GetType().Name}: {e.Message}");
            }
            if (failures.Count > before) failedRows++;
        }
        Report(name + "/golden.jsonl", rows.Count, failedRows, failures);
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Every_decode_golden_row_matches_hugging_face(string name)
    {
        var tok = TokenizerFixtures.Load("tokenizers/" + name);
        var rows = TokenizerFixtures.ReadJsonl($"tokenizers/{name}/decode_golden.jsonl");
        var failures = new List<string>();
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var ids = TokenizerFixtures.Ints(row.GetProperty("ids"));
            var mode = row.GetProperty("skip_special_tokens").GetBoolean() ? SkipSpecial.Yes : SkipSpecial.No;
            string expected = row.GetProperty("decoded").GetString()!;
            string got = tok.Decode(ids, mode);
            if (got != expected)
                failures.Add($"row {r} ({row.GetProperty("note").GetString()}) ids {TokenizerFixtures.ShowIds(ids)} skip={mode}: expected {TokenizerFixtures.Show(expected)}, got {TokenizerFixtures.Show(got)}");
        }
        Report(name + "/decode_golden.jsonl", rows.Count, failures.Count, failures);
    }

    private static void Check(int r, System.Text.Json.JsonElement row, string key, string got, List<string> failures)
    {
        string expected = row.GetProperty(key).GetString()!;
        if (got != expected)
            failures.Add($"row {r} ({row.GetProperty("source").GetString()}) {key}: expected {TokenizerFixtures.Show(expected)}, got {TokenizerFixtures.Show(got)}");
    }

    private static string Diff(int r, System.Text.Json.JsonElement row, string key, int[] expected, IReadOnlyList<int> got)
    {
        int i = 0;
        while (i < expected.Length && i < got.Count && expected[i] == got[i]) i++;
        string text = row.GetProperty("text").GetString()!;
        return $"row {r} ({row.GetProperty("source").GetString()}) {key} text {TokenizerFixtures.Show(text)}: first difference at index {i}: "
            + $"expected {TokenizerFixtures.ShowIds(expected.Skip(Math.Max(0, i - 2)).ToArray())}, got {TokenizerFixtures.ShowIds(got.Skip(Math.Max(0, i - 2)).ToArray())} (lengths {expected.Length} vs {got.Count})";
    }

    private void Report(string what, int rows, int failedRows, List<string> failures)
    {
        output.WriteLine($"{what}: {rows - failedRows}/{rows} rows match");
        var sb = new StringBuilder();
        foreach (string f in failures.Take(15)) sb.AppendLine(f);
        if (failures.Count > 0) output.WriteLine(sb.ToString());
        Assert.True(failures.Count == 0, $"{what}: {failedRows} of {rows} rows differ ({failures.Count} mismatches); first ones:\n{sb}");
    }
}

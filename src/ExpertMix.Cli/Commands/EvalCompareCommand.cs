// `expertmix eval-compare`: paired comparison of two eval runs (per-example JSONL) over the same items.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The `eval-compare` verb.</summary>
internal static class EvalCompareCommand
{
    /// <summary>Creates `eval-compare`.</summary>
    public static Command Create()
    {
        var a = new Option<string>("--a") { Description = "Run A's records (the JSONL written by `eval --out`); the baseline.", Required = true };
        var b = new Option<string>("--b") { Description = "Run B's records; the difference is B − A.", Required = true };
        var resamples = new Option<int>("--resamples") { Description = "Paired bootstrap resamples.", DefaultValueFactory = _ => PairedComparison.DefaultResamples };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print JSON (n, accuracy_a/b with Wilson bounds, difference, ci_low, ci_high, only_a, only_b, mcnemar_p, …)." };
        var cmd = new Command("eval-compare",
            "Compare two eval runs over the same items: accuracy difference B − A with a paired-bootstrap 95% interval, discordant counts, McNemar's exact p, Wilson 95% intervals.");
        foreach (var o in new Option[] { a, b, resamples, seed, json }) cmd.Add(o);
        cmd.SetAction(pr => Run(pr.GetValue(a)!, pr.GetValue(b)!, pr.GetValue(resamples), pr.GetValue(seed), pr.GetValue(json)));
        return cmd;
    }

    private static int Run(string pathA, string pathB, int resamples, int seed, bool asJson)
    {
        if (resamples < 1) throw new UserErrorException($"--resamples must be ≥ 1 (got {resamples})");
        var pairs = EvalRecordPairs.Read(pathA, pathB);
        var cmp = PairedComparison.Compare(pairs.A, pairs.B, seed, resamples);
        if (asJson)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                cmp.WriteJson(w, new Dictionary<string, string> { ["a"] = pathA, ["b"] = pathB, ["matched_by"] = pairs.BySeed ? "seed+id" : "id" });
            }
            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }
        var inv = CultureInfo.InvariantCulture;
        string Pct(double v) => (100 * v).ToString("F2", inv);
        string Ci(AccuracyInterval i) => $"[{Pct(i.Low)}, {Pct(i.High)}]";
        var table = new Table().AddColumns("run", "accuracy %", "95% CI (Wilson)", "file");
        table.AddRow("A", Pct(cmp.A.Accuracy), Markup.Escape(Ci(cmp.A)), Markup.Escape(pathA));
        table.AddRow("B", Pct(cmp.B.Accuracy), Markup.Escape(Ci(cmp.B)), Markup.Escape(pathB));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape($"n = {cmp.N} paired items (matched by {(pairs.BySeed ? "seed and id" : "id")})"));
        AnsiConsole.MarkupLine(Markup.Escape($"B − A = {Pct(cmp.Difference.Accuracy)} points, 95% CI {Ci(cmp.Difference)} (paired bootstrap, {cmp.Resamples} resamples, seed {cmp.Seed})"));
        AnsiConsole.MarkupLine(Markup.Escape($"only A right: {cmp.OnlyA}, only B right: {cmp.OnlyB}, both right: {cmp.BothCorrect}, both wrong: {cmp.BothWrong}"));
        AnsiConsole.MarkupLine(Markup.Escape($"McNemar exact p = {cmp.McNemarP.ToString("G4", inv)}"));
        return 0;
    }
}

// `expertmix score`: perplexity of a text file or JSONL rows (prompt tokens masked in prompt/completion rows).
using System.CommandLine;
using ExpertMix.Models.Generation;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The `score` verb.</summary>
internal static class ScoreCommand
{
    /// <summary>Creates `score`.</summary>
    public static Command Create()
    {
        var model = new ModelOptions();
        var data = new Option<string>("--data") { Description = "A .jsonl file of {\"text\"} or {\"prompt\", \"completion\"} rows, or any other file scored as one text.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"tokens\", \"nll\", \"perplexity\"}." };
        var cmd = new Command("score", "Perplexity of text or JSONL rows under a model.");
        model.AddTo(cmd);
        cmd.Add(data);
        cmd.Add(json);
        cmd.SetAction(pr => Run(model.Bind(pr), pr.GetValue(data)!, pr.GetValue(json)));
        return cmd;
    }

    private static int Run(ModelArgs args, string data, bool asJson)
    {
        if (!File.Exists(data)) throw new FileNotFoundException($"data file not found: {data}");
        var rows = data.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? ScoringData.ReadTextRows(data)
            : [new ScoringRow(1, null, File.ReadAllText(data))];
        using var model = args.LoadModel();
        var scorer = new Scorer(model, args.LoadTokenizer());
        PerplexityResult result;
        try
        {
            result = scorer.Perplexity(rows);
        }
        catch (ArgumentException e)
        {
            throw new UserErrorException($"{data}: {e.Message}", e);
        }
        if (asJson)
        {
            Console.WriteLine(CliJson.Serialize(new { tokens = result.Tokens, nll = result.Nll, perplexity = result.Perplexity }));
            return 0;
        }
        var table = new Table().AddColumns("rows", "tokens scored", "mean NLL (nats)", "perplexity");
        table.AddRow(rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Tokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            result.Nll.ToString("F6", System.Globalization.CultureInfo.InvariantCulture), result.Perplexity.ToString("F4", System.Globalization.CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        return 0;
    }
}

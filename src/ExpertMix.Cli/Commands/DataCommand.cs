// `expertmix data convert`: turns the staged benchmark sets into prompt/completion JSONL for training and scoring.
using System.CommandLine;
using ExpertMix.Adapters.Training.Data;

namespace ExpertMix.Cli.Commands;

/// <summary>The `data` verb group.</summary>
internal static class DataCommand
{
    /// <summary>Creates `data` with `convert`.</summary>
    public static Command Create()
    {
        var name = new Argument<string>("dataset") { Description = $"One of: {string.Join(", ", DatasetConverters.Names)}." };
        var source = new Option<string>("--source", "-s") { Description = "The raw dataset file or its folder (e.g. ../shared/data/gsm8k).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "The JSONL file to write ({\"prompt\",\"completion\"} rows).", Required = true };
        var convert = new Command("convert", "Convert a benchmark set (gsm8k, pubmedqa, tatqa, arc, mbpp) to prompt/completion JSONL.");
        convert.Add(name);
        convert.Add(source);
        convert.Add(output);
        convert.SetAction(pr =>
        {
            int rows = DatasetConverters.Convert(pr.GetValue(name)!, pr.GetValue(source)!, pr.GetValue(output)!);
            Console.WriteLine($"wrote {rows} rows to {pr.GetValue(output)}");
            return 0;
        });
        var cmd = new Command("data", "Training data utilities.");
        cmd.Add(convert);
        return cmd;
    }
}

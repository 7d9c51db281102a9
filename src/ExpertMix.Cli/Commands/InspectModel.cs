// `expertmix inspect --model DIR`: architecture, sizes, parameter count, dtype, vocabulary and memory of a model.
using System.Globalization;
using ExpertMix.Tensors;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The model report of `inspect --model`.</summary>
internal static class InspectModel
{
    /// <summary>Loads <paramref name="args"/>'s model (memory-mapped) and reports it; returns 0.</summary>
    public static int Execute(ModelArgs args, bool asJson, TextWriter output)
    {
        using var model = args.LoadModel();
        var info = model.Info;
        long weightBytes = model.NamedParameters().Sum(p => p.Param.Numel * p.Param.DType.SizeOf());
        var dtypes = model.NamedParameters().GroupBy(p => p.Param.DType).OrderBy(g => g.Key).Select(g => g.Key.SafetensorsName()).ToArray();
        long kvBytesPerToken = 2L * info.Layers * info.KvHeads * info.HeadDim * sizeof(float);
        string tokenizer = File.Exists(Path.Combine(args.Directory, "tokenizer.json")) ? "tokenizer.json"
            : File.Exists(Path.Combine(args.Directory, "vocab.json")) ? "vocab.json + merges.txt" : "none";
        var facts = new (string Key, object Value)[]
        {
            ("directory", Path.GetFullPath(args.Directory)),
            ("architecture", info.Architecture),
            ("model_type", info.ModelType),
            ("parameters", info.ParameterCount),
            ("dtype", string.Join("+", dtypes)),
            ("weight_bytes", weightBytes),
            ("vocab_size", info.VocabSize),
            ("layers", info.Layers),
            ("hidden_size", info.HiddenSize),
            ("heads", info.Heads),
            ("kv_heads", info.KvHeads),
            ("head_dim", info.HeadDim),
            ("max_positions", info.MaxPositions),
            ("bos_token_id", (object?)info.BosTokenId ?? "none"),
            ("eos_token_ids", info.EosTokenIds),
            ("kv_cache_bytes_per_token", kvBytesPerToken),
            ("kv_cache_bytes_full_context", kvBytesPerToken * info.MaxPositions),
            ("tokenizer", tokenizer),
            ("warnings", info.Warnings),
        };
        if (asJson)
        {
            output.WriteLine(CliJson.Serialize(facts.ToDictionary(f => f.Key, f => f.Value)));
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("", "");
        table.ShowHeaders = false;
        foreach (var (key, value) in facts)
        {
            string text = value switch
            {
                long n when key.EndsWith("bytes", StringComparison.Ordinal) || key.Contains("bytes_", StringComparison.Ordinal) => $"{InspectCommand.FormatBytes(n)} ({n.ToString("N0", CultureInfo.InvariantCulture)})",
                long n => n.ToString("N0", CultureInfo.InvariantCulture),
                IEnumerable<int> ids => string.Join(", ", ids),
                IEnumerable<string> lines => lines.Any() ? string.Join("; ", lines) : "none",
                _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
            };
            table.AddRow(Markup.Escape(key), Markup.Escape(text));
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Write(table);
        return 0;
    }
}

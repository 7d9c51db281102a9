// `expertmix tokenize --model DIR --text TEXT [--json]`: token ids and token strings of a text.
using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ExpertMix.Models.Tokenization;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The `tokenize` verb.</summary>
internal static class TokenizeCommand
{
    /// <summary>Typed options of `tokenize`.</summary>
    /// <param name="ModelDir">Directory with tokenizer.json (or vocab.json + merges.txt), or a tokenizer.json file.</param>
    /// <param name="Text">The text to encode.</param>
    /// <param name="Special">Whether the post-processor's special tokens (e.g. BOS) are added.</param>
    /// <param name="Json">Print one JSON object instead of a table.</param>
    public sealed record Options(string ModelDir, string Text, SpecialTokens Special, bool Json);

    /// <summary>Creates `tokenize`.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model directory with tokenizer.json (or vocab.json + merges.txt), or a tokenizer.json file.", Required = true };
        var text = new Option<string>("--text") { Description = "Text to tokenize.", Required = true };
        var special = new Option<string>("--special-tokens") { Description = "add: apply the post-processor (e.g. BOS) as HF add_special_tokens=true; none: text tokens only.", DefaultValueFactory = _ => "add" };
        special.AcceptOnlyFromAmong("add", "none");
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...], \"tokens\": [...]} instead of a table." };
        var cmd = new Command("tokenize", "Encode a text with a model's Hugging Face tokenizer and show ids and tokens.");
        cmd.Add(model);
        cmd.Add(text);
        cmd.Add(special);
        cmd.Add(json);
        cmd.SetAction(pr => Execute(new Options(pr.GetValue(model)!, pr.GetValue(text)!,
            pr.GetValue(special) == "none" ? SpecialTokens.None : SpecialTokens.Add, pr.GetValue(json)), Console.Out));
        return cmd;
    }

    /// <summary>Encodes <see cref="Options.Text"/> and writes the result to <paramref name="output"/>; returns 0.</summary>
    /// <exception cref="UserErrorException">The tokenizer uses a component ExpertMix does not support.</exception>
    /// <exception cref="InvalidDataException">The tokenizer files are malformed.</exception>
    public static int Execute(Options options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        Tokenizer tokenizer;
        try
        {
            tokenizer = File.Exists(options.ModelDir) ? Tokenizer.FromFile(options.ModelDir) : Tokenizer.FromDirectory(options.ModelDir);
        }
        catch (NotSupportedException e)
        {
            throw new UserErrorException(e.Message, e);
        }
        var ids = tokenizer.Encode(options.Text, options.Special);
        var tokens = ids.Select(id => tokenizer.IdToToken(id) ?? "").ToList();
        if (options.Json) WriteJson(ids, tokens, output);
        else WriteTable(tokenizer, ids, tokens, output);
        return 0;
    }

    private static void WriteJson(IReadOnlyList<int> ids, List<string> tokens, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("ids");
            foreach (int id in ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            foreach (string t in tokens) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteTable(Tokenizer tokenizer, IReadOnlyList<int> ids, List<string> tokens, TextWriter output)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("#").RightAligned());
        table.AddColumn(new TableColumn("Id").RightAligned());
        table.AddColumn("Token");
        for (int i = 0; i < ids.Count; i++)
        {
            table.AddRow(i.ToString(CultureInfo.InvariantCulture), ids[i].ToString(CultureInfo.InvariantCulture), Markup.Escape(Visible(tokens[i])));
        }
        console.Write(table);
        output.WriteLine($"{ids.Count} tokens; {tokenizer.SourcePath}: {Summary(tokenizer)}");

        static string Summary(Tokenizer t) => $"vocabulary {t.VocabSize.ToString("N0", CultureInfo.InvariantCulture)}"
            + (t.BosId is int b ? $", bos {b}" : "") + (t.EosId is int e ? $", eos {e}" : "");
    }

    /// <summary>Control characters as \n, \t or \uXXXX so the table stays on one line per token.</summary>
    private static string Visible(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length);
        foreach (char c in s)
        {
            if (c == '\n') sb.Append("\\n");
            else if (c == '\t') sb.Append("\\t");
            else if (c == '\r') sb.Append("\\r");
            else if (char.IsControl(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

// `expertmix inspect FILE.safetensors`: tensor names, dtypes, shapes, sizes and metadata.
using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The `inspect` verb.</summary>
internal static class InspectCommand
{
    /// <summary>Creates `inspect`.</summary>
    public static Command Create()
    {
        var file = new Argument<string?>("file")
        {
            Description = "A .safetensors file, a model.safetensors.index.json, or a directory of safetensors.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var model = new ModelOptions();
        model.Model.Required = false;
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var inspect = new Command("inspect", "Show what a safetensors file contains, or (--model DIR) a model's architecture, size and memory.");
        inspect.Add(file);
        model.AddTo(inspect);
        inspect.Add(json);
        inspect.SetAction(pr =>
        {
            string? path = pr.GetValue(file);
            bool hasModel = pr.GetValue(model.Model) is not null;
            if (hasModel == (path is not null)) throw new UserErrorException("inspect needs exactly one of FILE or --model DIR");
            return hasModel ? InspectModel.Execute(model.Bind(pr), pr.GetValue(json), Console.Out) : Execute(path!, pr.GetValue(json), Console.Out);
        });
        return inspect;
    }

    /// <summary>Inspects <paramref name="path"/> and writes the report to <paramref name="output"/>; returns 0.</summary>
    /// <exception cref="InvalidDataException">The file is malformed (mapped to exit code 2 by <see cref="CliErrors"/>).</exception>
    public static int Execute(string path, bool asJson, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var source = SafetensorsSource.Open(path);
        var tensors = source.Names.Select(source.GetInfo).ToList();
        long total = tensors.Sum(t => t.ByteLength);
        if (asJson) WriteJson(source, tensors, total, output);
        else WriteTables(source, tensors, total, output);
        return 0;
    }

    private static void WriteJson(ISafetensorsSource source, List<TensorInfo> tensors, long total, TextWriter output)
    {
        bool sharded = source is ShardedSafetensors;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("file", source.Path);
            w.WriteStartArray("tensors");
            foreach (var t in tensors)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("dtype", t.DType.SafetensorsName());
                w.WriteStartArray("shape");
                foreach (int d in t.Shape.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteNumber("bytes", t.ByteLength);
                if (sharded) w.WriteString("shard", Path.GetFileName(t.File));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("metadata");
            foreach (var (k, v) in source.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteNumber("total_bytes", total);
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteTables(ISafetensorsSource source, List<TensorInfo> tensors, long total, TextWriter output)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        bool sharded = source is ShardedSafetensors;
        var table = new Table().Border(TableBorder.Rounded).Title(new TableTitle(Markup.Escape(source.Path)));
        table.AddColumn("Name");
        table.AddColumn("DType");
        table.AddColumn("Shape");
        table.AddColumn(new TableColumn("Bytes").RightAligned());
        if (sharded) table.AddColumn("Shard");
        foreach (var t in tensors)
        {
            var row = new List<string> { Markup.Escape(t.Name), t.DType.SafetensorsName(), Markup.Escape(t.Shape.ToString()), t.ByteLength.ToString("N0", CultureInfo.InvariantCulture) };
            if (sharded) row.Add(Markup.Escape(Path.GetFileName(t.File)));
            table.AddRow(row.ToArray());
        }
        console.Write(table);

        var byDtype = tensors.GroupBy(t => t.DType).OrderBy(g => g.Key)
            .Select(g => $"{g.Key.SafetensorsName()}: {g.Count()} ({FormatBytes(g.Sum(t => t.ByteLength))})");
        long parameters = tensors.Sum(t => t.Numel);
        output.WriteLine($"{tensors.Count} tensors, {parameters.ToString("N0", CultureInfo.InvariantCulture)} elements, "
            + $"{total.ToString("N0", CultureInfo.InvariantCulture)} bytes ({FormatBytes(total)})"
            + (sharded ? $" in {((ShardedSafetensors)source).Index.ShardFiles.Count} shards" : ""));
        if (tensors.Count > 0) output.WriteLine("by dtype: " + string.Join(", ", byDtype));

        if (source.Metadata.Count == 0) return;
        var meta = new Table().Border(TableBorder.Rounded).Title("metadata");
        meta.AddColumn("Key");
        meta.AddColumn("Value");
        foreach (var (k, v) in source.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) meta.AddRow(Markup.Escape(k), Markup.Escape(v));
        console.Write(meta);
    }

    /// <summary>"1.5 GiB", "12.0 KiB", "512 B".</summary>
    internal static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes} B" : v.ToString("F1", CultureInfo.InvariantCulture) + " " + units[u];
    }
}

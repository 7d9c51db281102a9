// Reading a JSONL file row by row with errors that name the file and line (data converters, eval tasks, the demo).
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ExpertMix.Adapters;

/// <summary>One JSON object per non-empty line; a <c>.gz</c> file is decompressed on the fly.</summary>
internal static class JsonLinesFile
{
    /// <summary>
    /// Each non-empty line of <paramref name="path"/> parsed as a JSON object, with its "file:line" for messages (the
    /// element is cloned, the document freed). Lazy: a bad line fails when it is reached.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist (thrown at the call).</exception>
    /// <exception cref="InvalidDataException">A line is not valid JSON or not an object; the message names file and line.</exception>
    public static IEnumerable<(JsonElement Row, string Where)> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        return Rows(path);

        static IEnumerable<(JsonElement, string)> Rows(string path)
        {
            using var stream = File.OpenRead(path);
            using Stream input = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
            using var reader = new StreamReader(input, Encoding.UTF8);
            int line = 0;
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (string.IsNullOrWhiteSpace(text)) continue;
                string where = $"{path}:{line}";
                JsonElement row;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    row = doc.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"{where}: not valid JSON ({e.Message})", e);
                }
                if (row.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: expected a JSON object, got {row.ValueKind}");
                yield return (row, where);
            }
        }
    }
}

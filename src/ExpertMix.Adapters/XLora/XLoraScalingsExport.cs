// Writes logged X-LoRA scalings: xlora-compatible .npy (+ mapping), safetensors + JSON sidecar, long CSV, JSON summary.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// Exports of a scalings log (spec xlora.md §8). Every array is λ[b, t, ℓ, i] with Lx = 1 entries expanded to all L
/// modules (λ[b, t, ℓ, i] = λ[b, t, 0, i]). Every file is written atomically (temp file + rename, <see cref="AtomicFile"/>);
/// the data are copied out of the entries, never shared.
/// </summary>
internal static partial class XLoraScalingsExport
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The CSV header of <see cref="WriteCsv"/>.</summary>
    public const string CsvHeader = "step,batch,pos,token,layer,module,adapter,value";

    /// <summary>
    /// The xlora-compatible NumPy export (what <c>flush_log_scalings(path)</c> writes). When every entry has the same
    /// (b, s): one file <c>&lt;path&gt;.npy</c> of shape [N, b, s, L, n] float32. Otherwise one file per sequence length
    /// s, <c>&lt;path&gt;-&lt;s&gt;.npy</c> of shape [N_s, b, s, L, n], plus <c>&lt;path&gt;-mapping.json</c>
    /// <c>{"&lt;path&gt;-&lt;s&gt;.npy": [log indices]}</c> (keys built from <paramref name="path"/> as given, as xlora does).
    /// Entries of one length with different batch sizes cannot be stacked; they go to <c>&lt;path&gt;-&lt;s&gt;-b&lt;b&gt;.npy</c>.
    /// A trailing ".npy" on <paramref name="path"/> is dropped first.
    /// </summary>
    /// <returns>The files written (arrays first, then the mapping).</returns>
    /// <exception cref="ArgumentException">No entries, or an entry does not fit <paramref name="labels"/>.</exception>
    public static IReadOnlyList<string> WriteNumpy(string path, IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Check(entries, labels);
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) path = path[..^4];
        int l = labels.ModuleCount, n = labels.AdapterCount;
        var first = entries[0];
        if (entries.All(e => e.Batch == first.Batch && e.Tokens == first.Tokens))
        {
            string file = path + ".npy";
            WriteNpy(file, entries, [.. Enumerable.Range(0, entries.Count)], l, n);
            return [file];
        }
        var groups = new List<(int Tokens, int Batch, List<int> Indices)>();
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var g = groups.FindIndex(x => x.Tokens == e.Tokens && x.Batch == e.Batch);
            if (g < 0) groups.Add((e.Tokens, e.Batch, [i]));
            else groups[g].Indices.Add(i);
        }
        var written = new List<string>();
        var mapping = new List<(string File, List<int> Indices)>();
        foreach (var (tokens, batch, indices) in groups)
        {
            bool mixedBatch = groups.Count(x => x.Tokens == tokens) > 1;
            string file = mixedBatch
                ? string.Create(CultureInfo.InvariantCulture, $"{path}-{tokens}-b{batch}.npy")
                : string.Create(CultureInfo.InvariantCulture, $"{path}-{tokens}.npy");
            WriteNpy(file, entries, indices, l, n);
            written.Add(file);
            mapping.Add((file, indices));
        }
        string mapFile = path + "-mapping.json";
        AtomicFile.Write(mapFile, stream =>
        {
            using var w = new Utf8JsonWriter(stream, JsonOptions);
            w.WriteStartObject();
            foreach (var (file, indices) in mapping)
            {
                w.WriteStartArray(file);
                foreach (int i in indices) w.WriteNumberValue(i);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        });
        written.Add(mapFile);
        return written;
    }

    /// <summary>
    /// Writes <c>&lt;base&gt;.safetensors</c> with one F32 tensor <c>scalings.{i}</c> [b, s, L, n] per entry i, and the
    /// JSON sidecar <c>&lt;base&gt;.json</c>: <c>{format, modules: [paths], adapters: [names], entries: [{tensor,
    /// batch, tokens, past_length, logged_layers, token_ids: [[per row]], token_text: [[per row]]}]}</c>. The base is
    /// <paramref name="path"/> without a trailing ".safetensors".
    /// </summary>
    /// <returns>The safetensors path, then the sidecar path.</returns>
    /// <exception cref="ArgumentException">No entries, or an entry does not fit <paramref name="labels"/>.</exception>
    public static IReadOnlyList<string> WriteSafetensors(string path, IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Check(entries, labels);
        string stem = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? path[..^".safetensors".Length] : path;
        string tensorsPath = stem + ".safetensors", sidecar = stem + ".json";
        int l = labels.ModuleCount, n = labels.AdapterCount;
        var tensors = new List<(string Name, Tensor Tensor)>();
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                tensors.Add((TensorName(i), Tensor.FromArray(Expand(e, l), new Shape(e.Batch, e.Tokens, l, n))));   // [b, s, L, n]
            }
            var metadata = new Dictionary<string, string>
            {
                ["format"] = "expertmix-xlora-scalings",
                ["entries"] = entries.Count.ToString(CultureInfo.InvariantCulture),
                ["modules"] = l.ToString(CultureInfo.InvariantCulture),
                ["adapters"] = n.ToString(CultureInfo.InvariantCulture),
            };
            SafetensorsWriter.Write(tensorsPath, tensors, metadata);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        AtomicFile.Write(sidecar, stream =>
        {
            using var w = new Utf8JsonWriter(stream, JsonOptions with { Indented = true });
            w.WriteStartObject();
            w.WriteString("format", "expertmix-xlora-scalings");
            WriteNames(w, labels);
            w.WriteStartArray("entries");
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                w.WriteStartObject();
                w.WriteString("tensor", TensorName(i));
                w.WriteNumber("batch", e.Batch);
                w.WriteNumber("tokens", e.Tokens);
                w.WriteNumber("past_length", e.PastLength);
                w.WriteNumber("logged_layers", e.Layers);
                w.WriteStartArray("token_ids");
                for (int b = 0; b < e.Batch; b++)
                {
                    w.WriteStartArray();
                    for (int t = 0; t < e.Tokens; t++) w.WriteNumberValue(e.TokenIds[b * e.Tokens + t]);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteStartArray("token_text");
                for (int b = 0; b < e.Batch; b++)
                {
                    w.WriteStartArray();
                    for (int t = 0; t < e.Tokens; t++) w.WriteStringValue(labels.TokenText(i, e, b, t));
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return [tensorsPath, sidecar];
    }

    /// <summary>
    /// Writes the long CSV <see cref="CsvHeader"/> to <paramref name="path"/>: one row per (entry, b, t, ℓ, i) in that
    /// order, with step = entry index, pos = PastLength + t, token = the token text, layer = ℓ, module = its path,
    /// adapter = expert name, value = λ[b, t, ℓ, i] (shortest round-trip float). Text fields are quoted per RFC 4180
    /// when they contain a comma, quote, CR/LF or leading/trailing whitespace (quotes doubled). UTF-8 without BOM, '\n'
    /// line ends.
    /// </summary>
    /// <returns>The data rows written: Σ_entries b·s·L·n.</returns>
    /// <exception cref="ArgumentException">No entries, or an entry does not fit <paramref name="labels"/>.</exception>
    public static long WriteCsv(string path, IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Check(entries, labels);
        int l = labels.ModuleCount, n = labels.AdapterCount;
        var modules = labels.Modules.Select(CsvField).ToArray();
        var adapters = labels.Adapters.Select(CsvField).ToArray();
        long rows = 0;
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine(CsvHeader);
            var ci = CultureInfo.InvariantCulture;
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                for (int b = 0; b < e.Batch; b++)
                {
                    for (int t = 0; t < e.Tokens; t++)
                    {
                        string prefix = string.Create(ci, $"{i},{b},{e.PastLength + t},{CsvField(labels.TokenText(i, e, b, t))},");
                        for (int layer = 0; layer < l; layer++)
                        {
                            for (int x = 0; x < n; x++)
                            {
                                w.Write(prefix);
                                w.Write(string.Create(ci, $"{layer},{modules[layer]},{adapters[x]},{e.At(b, t, layer, x)}"));
                                w.Write('\n');
                                rows++;
                            }
                        }
                    }
                }
            }
            w.Flush();
        });
        return rows;
    }

    /// <summary>
    /// <paramref name="field"/> as a CSV field: unchanged unless it contains ',', '"', '\r', '\n' or starts/ends with
    /// whitespace, in which case it is wrapped in quotes with inner quotes doubled.
    /// </summary>
    public static string CsvField(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        bool quote = field.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (field.Length > 0 && (char.IsWhiteSpace(field[0]) || char.IsWhiteSpace(field[^1])));
        return quote ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
    }

    /// <summary>Entry <paramref name="e"/>'s λ as [b, s, L, n] (a copy; Lx = 1 broadcast to all <paramref name="modules"/>).</summary>
    public static float[] Expand(XLoraScalingsEntry e, int modules)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Layers == modules) return (float[])e.Values.Clone();
        if (e.Layers != 1) throw new ArgumentException($"X-LoRA scalings entry has {e.Layers} layers; expected 1 or {modules}");
        int n = e.Experts, rows = e.Batch * e.Tokens;
        var y = new float[(long)rows * modules * n];                                          // [b, s, L, n]
        for (int r = 0; r < rows; r++)
        {
            var src = e.Values.AsSpan(r * n, n);
            for (int layer = 0; layer < modules; layer++) src.CopyTo(y.AsSpan((r * modules + layer) * n, n));
        }
        return y;
    }

    private static string TensorName(int i) => string.Create(CultureInfo.InvariantCulture, $"scalings.{i}");

    private static void WriteNpy(string file, IReadOnlyList<XLoraScalingsEntry> entries, List<int> indices, int l, int n)
    {
        var e0 = entries[indices[0]];
        var header = NpyFormat.Header([indices.Count, e0.Batch, e0.Tokens, l, n]);              // [N, b, s, L, n]
        AtomicFile.Write(file, stream =>
        {
            stream.Write(header);
            foreach (int i in indices) NpyFormat.WriteFloats(stream, Expand(entries[i], l));
        });
    }

    private static void Check(IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(labels);
        if (entries.Count == 0) throw new ArgumentException("the X-LoRA scalings log is empty: enable logging and run a forward before exporting");
        labels.Validate(entries);
    }

    private static void WriteNames(Utf8JsonWriter w, XLoraScalingsLabels labels)
    {
        w.WriteStartArray("modules");
        foreach (var m in labels.Modules) w.WriteStringValue(m);
        w.WriteEndArray();
        w.WriteStartArray("adapters");
        foreach (var a in labels.Adapters) w.WriteStringValue(a);
        w.WriteEndArray();
    }
}

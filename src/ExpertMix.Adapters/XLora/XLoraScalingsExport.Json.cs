// The JSON view of logged X-LoRA scalings (for `--json`): per token [L × n] matrices, dominant experts, means.
using System.Text;
using System.Text.Json;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.XLora;

internal static partial class XLoraScalingsExport
{
    /// <summary>
    /// The log as JSON:
    /// <c>{format, modules: [L paths], adapters: [n names], entries: [{step, batch, tokens, past_length, logged_layers,
    /// rows: [{batch, tokens: [{pos, id, text, scalings: [L][n], dominant: [L]}], mean: [L][n]}]}], mean: [L][n]}</c>.
    /// scalings[ℓ][i] = λ[b, t, ℓ, i] (Lx = 1 expanded); dominant[ℓ] = argmax_i λ[b, t, ℓ, i] (the lowest i on ties);
    /// a row's mean[ℓ][i] = (1/s)·Σ_t λ[b, t, ℓ, i]; the top-level mean averages over every logged (entry, row, token)
    /// (a no-cache run, which re-logs the whole sequence each step, counts a position once per step).
    /// Non-finite values are written as null.
    /// </summary>
    /// <exception cref="ArgumentException">No entries, or an entry does not fit <paramref name="labels"/>.</exception>
    public static string ToJson(IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels)
    {
        Check(entries, labels);
        using var ms = new MemoryStream();
        WriteJsonTo(ms, entries, labels);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/>'s document to <paramref name="path"/> atomically (UTF-8, no BOM).</summary>
    /// <exception cref="ArgumentException">No entries, or an entry does not fit <paramref name="labels"/>.</exception>
    public static void WriteJson(string path, IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Check(entries, labels);
        AtomicFile.Write(path, stream => WriteJsonTo(stream, entries, labels));
    }

    /// <summary>argmax_i λ[b, t, ℓ, i] of <paramref name="e"/> (the lowest index on ties; NaN never wins).</summary>
    public static int Dominant(XLoraScalingsEntry e, int b, int t, int layer)
    {
        ArgumentNullException.ThrowIfNull(e);
        int best = 0;
        for (int i = 1; i < e.Experts; i++)
        {
            float v = e.At(b, t, layer, i), w = e.At(b, t, layer, best);
            if (v > w || (float.IsNaN(w) && !float.IsNaN(v))) best = i;
        }
        return best;
    }

    private static void WriteJsonTo(Stream stream, IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels)
    {
        int l = labels.ModuleCount, n = labels.AdapterCount;
        var total = new double[l * n];                                                        // [L, n]
        long count = 0;
        using var w = new Utf8JsonWriter(stream, JsonOptions);
        w.WriteStartObject();
        w.WriteString("format", "expertmix-xlora-scalings");
        WriteNames(w, labels);
        w.WriteStartArray("entries");
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            w.WriteStartObject();
            w.WriteNumber("step", i);
            w.WriteNumber("batch", e.Batch);
            w.WriteNumber("tokens", e.Tokens);
            w.WriteNumber("past_length", e.PastLength);
            w.WriteNumber("logged_layers", e.Layers);
            w.WriteStartArray("rows");
            for (int b = 0; b < e.Batch; b++)
            {
                var rowSum = new double[l * n];                                               // [L, n]
                w.WriteStartObject();
                w.WriteNumber("batch", b);
                w.WriteStartArray("tokens");
                for (int t = 0; t < e.Tokens; t++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("pos", e.PastLength + t);
                    w.WriteNumber("id", e.TokenIds[b * e.Tokens + t]);
                    w.WriteString("text", labels.TokenText(i, e, b, t));
                    w.WriteStartArray("scalings");
                    for (int layer = 0; layer < l; layer++)
                    {
                        w.WriteStartArray();
                        for (int x = 0; x < n; x++)
                        {
                            float v = e.At(b, t, layer, x);
                            Number(w, v);
                            rowSum[layer * n + x] += v;
                        }
                        w.WriteEndArray();
                    }
                    w.WriteEndArray();
                    w.WriteStartArray("dominant");
                    for (int layer = 0; layer < l; layer++) w.WriteNumberValue(Dominant(e, b, t, layer));
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                WriteMatrix(w, "mean", rowSum, l, n, e.Tokens);
                w.WriteEndObject();
                for (int k = 0; k < total.Length; k++) total[k] += rowSum[k];
                count += e.Tokens;
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteMatrix(w, "mean", total, l, n, count);
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteMatrix(Utf8JsonWriter w, string name, double[] sum, int l, int n, long count)
    {
        w.WriteStartArray(name);
        for (int layer = 0; layer < l; layer++)
        {
            w.WriteStartArray();
            for (int x = 0; x < n; x++) Number(w, count == 0 ? float.NaN : (float)(sum[layer * n + x] / count));
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }
}

// X-LoRA scalings exports: real .npy v1.0 files (single and per length + mapping), Lx = 1 expansion, safetensors + sidecar,
// long CSV with escaping, the JSON view, and the log's capacity. Expectations come from the fixture's formula.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ExpertMix.Adapters.XLora;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;
using static ExpertMix.Adapters.Tests.XLora.XLoraScalingsFixture;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraScalingsExportTests
{
    private const int L = 4, N = 3;

    [Fact]
    public void Npy_of_same_shaped_entries_is_one_v1_file_of_shape_N_b_s_L_n_with_the_values()
    {
        using var dir = new TempDir();
        XLoraScalingsEntry[] entries = [Entry(0, 2, 3, L, N, 0), Entry(1, 2, 3, L, N, 3)];
        string path = Path.Combine(dir.Path, "scalings");
        var files = XLoraScalingsExport.WriteNumpy(path + ".npy", entries, Labels(entries));
        Assert.Equal([path + ".npy"], files);
        Assert.False(File.Exists(path + "-mapping.json"));
        var (shape, data) = ReadNpy(path + ".npy");
        Assert.Equal([2, 2, 3, L, N], shape);
        Assert.Equal(2 * 2 * 3 * L * N, data.Length);
        int k = 0;
        for (int e = 0; e < 2; e++)
        {
            for (int b = 0; b < 2; b++)
            {
                for (int t = 0; t < 3; t++)
                {
                    for (int l = 0; l < L; l++)
                    {
                        for (int i = 0; i < N; i++) Assert.Equal(Expected(e, true, b, t, l, i, N), data[k++]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Npy_of_mixed_lengths_writes_one_file_per_length_and_a_mapping_of_log_indices()
    {
        using var dir = new TempDir();
        // Prefill of 4, three decode steps, a second prefill of 4: lengths 4, 1, 1, 1, 4. Not layerwise (Lx = 1).
        XLoraScalingsEntry[] entries = [Entry(0, 1, 4, 1, N, 0), Entry(1, 1, 1, 1, N, 4), Entry(2, 1, 1, 1, N, 5), Entry(3, 1, 1, 1, N, 6), Entry(4, 1, 4, 1, N, 0)];
        string path = Path.Combine(dir.Path, "run");
        var files = XLoraScalingsExport.WriteNumpy(path, entries, Labels(entries));
        Assert.Equal(3, files.Count);
        Assert.False(File.Exists(path + ".npy"));
        using var map = JsonDocument.Parse(File.ReadAllText(path + "-mapping.json"));
        var mapping = map.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetInt32()).ToArray());
        Assert.Equal(2, mapping.Count);
        Assert.Equal([0, 4], mapping[path + "-4.npy"]);
        Assert.Equal([1, 2, 3], mapping[path + "-1.npy"]);
        foreach (var (file, indices) in mapping)
        {
            var (shape, data) = ReadNpy(file);
            int s = entries[indices[0]].Tokens;
            Assert.Equal([indices.Length, 1, s, L, N], shape);
            int k = 0;
            foreach (int e in indices)
            {
                for (int t = 0; t < s; t++)
                {
                    for (int l = 0; l < L; l++)
                    {
                        for (int i = 0; i < N; i++) Assert.Equal(Expected(e, false, 0, t, l, i, N), data[k++]);   // Lx = 1 expanded to every ℓ
                    }
                }
            }
        }
    }

    [Fact]
    public void Npy_entries_of_one_length_but_different_batch_sizes_go_to_separate_files()
    {
        using var dir = new TempDir();
        XLoraScalingsEntry[] entries = [Entry(0, 1, 2, L, N, 0), Entry(1, 2, 2, L, N, 0), Entry(2, 1, 1, L, N, 2)];
        string path = Path.Combine(dir.Path, "mixed");
        XLoraScalingsExport.WriteNumpy(path, entries, Labels(entries));
        using var map = JsonDocument.Parse(File.ReadAllText(path + "-mapping.json"));
        var mapping = map.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetInt32()).ToArray());
        Assert.Equal([0], mapping[path + "-2-b1.npy"]);
        Assert.Equal([1], mapping[path + "-2-b2.npy"]);
        Assert.Equal([2], mapping[path + "-1.npy"]);
        Assert.Equal([1, 2, 2, L, N], ReadNpy(path + "-2-b2.npy").Shape);
    }

    [Fact]
    public void Safetensors_round_trip_gives_b_s_L_n_tensors_and_a_sidecar_with_names_tokens_and_past_length()
    {
        using var dir = new TempDir();
        XLoraScalingsEntry[] entries = [Entry(0, 2, 3, 1, N, 0), Entry(1, 2, 1, 1, N, 3)];
        string path = Path.Combine(dir.Path, "s.safetensors");
        var files = XLoraScalingsExport.WriteSafetensors(path, entries, Labels(entries));
        Assert.Equal([path, Path.Combine(dir.Path, "s.json")], files);
        using (var st = SafetensorsFile.Open(path))
        {
            Assert.Equal(["scalings.0", "scalings.1"], st.Names.Order(StringComparer.Ordinal));
            for (int e = 0; e < entries.Length; e++)
            {
                using var t = st.GetTensor($"scalings.{e}");
                Assert.Equal(DType.F32, t.DType);
                Assert.Equal([2, entries[e].Tokens, L, N], t.Shape.ToArray());
                var v = t.ToArray();
                for (int b = 0; b < 2; b++)
                {
                    for (int s = 0; s < entries[e].Tokens; s++)
                    {
                        for (int l = 0; l < L; l++)
                        {
                            for (int i = 0; i < N; i++) Assert.Equal(Expected(e, false, b, s, l, i, N), v[((b * entries[e].Tokens + s) * L + l) * N + i]);
                        }
                    }
                }
            }
        }
        using var json = JsonDocument.Parse(File.ReadAllText(files[1]));
        var root = json.RootElement;
        Assert.Equal(ModuleNames, root.GetProperty("modules").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(AdapterNames, root.GetProperty("adapters").EnumerateArray().Select(x => x.GetString()));
        var second = root.GetProperty("entries")[1];
        Assert.Equal("scalings.1", second.GetProperty("tensor").GetString());
        Assert.Equal(3, second.GetProperty("past_length").GetInt32());
        Assert.Equal(1100, second.GetProperty("token_ids")[1][0].GetInt32());
        Assert.Equal(Text(1100), second.GetProperty("token_text")[1][0].GetString());
    }

    [Fact]
    public void Csv_has_one_row_per_b_s_L_n_and_rows_parse_back_to_the_values_with_escaped_tokens()
    {
        using var dir = new TempDir();
        XLoraScalingsEntry[] entries = [Entry(0, 2, 5, L, N, 0), Entry(1, 2, 1, L, N, 5), Entry(2, 2, 1, L, N, 6)];
        var labels = Labels(entries);
        string path = Path.Combine(dir.Path, "s.csv");
        long rows = XLoraScalingsExport.WriteCsv(path, entries, labels);
        long expected = entries.Sum(e => (long)e.Batch * e.Tokens * L * N);
        Assert.Equal(expected, rows);
        var records = ParseCsv(File.ReadAllText(path, Encoding.UTF8));
        Assert.Equal(["step", "batch", "pos", "token", "layer", "module", "adapter", "value"], records[0]);
        Assert.Equal(expected + 1, records.Count);
        Assert.All(records, r => Assert.Equal(8, r.Length));
        // Every row's value matches the formula; tokens, positions, module and adapter names come back unescaped.
        var adapterIndex = AdapterNames.Select((a, i) => (a, i)).ToDictionary(x => x.a, x => x.i);
        foreach (var r in records.Skip(1))
        {
            int step = int.Parse(r[0], CultureInfo.InvariantCulture), b = int.Parse(r[1], CultureInfo.InvariantCulture);
            int pos = int.Parse(r[2], CultureInfo.InvariantCulture), layer = int.Parse(r[4], CultureInfo.InvariantCulture);
            int t = pos - entries[step].PastLength, i = adapterIndex[r[6]];
            Assert.Equal(Text(1000 * step + 100 * b + t), r[3]);
            Assert.Equal(ModuleNames[layer], r[5]);
            Assert.Equal(Expected(step, true, b, t, layer, i, N), float.Parse(r[7], CultureInfo.InvariantCulture));
            Assert.Equal(entries[step].At(b, t, layer, i), float.Parse(r[7], CultureInfo.InvariantCulture));
        }
        Assert.Contains(records, r => r[3] == "a,b");
        Assert.Contains(records, r => r[3] == "say \"hi\"");
        Assert.Contains(records, r => r[3] == "\n");
        Assert.Contains("\"say \"\"hi\"\"\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_has_per_token_L_by_n_matrices_the_argmax_per_layer_and_means_over_tokens()
    {
        XLoraScalingsEntry[] entries = [Entry(0, 1, 4, 1, N, 0), Entry(1, 1, 1, 1, N, 4)];
        using var json = JsonDocument.Parse(XLoraScalingsExport.ToJson(entries, Labels(entries)));
        var root = json.RootElement;
        var tok = root.GetProperty("entries")[0].GetProperty("rows")[0].GetProperty("tokens")[2];
        Assert.Equal(2, tok.GetProperty("pos").GetInt32());
        Assert.Equal(Text(2), tok.GetProperty("text").GetString());
        for (int l = 0; l < L; l++)
        {
            var row = tok.GetProperty("scalings")[l];
            Assert.Equal(N, row.GetArrayLength());
            for (int i = 0; i < N; i++) Assert.Equal(Expected(0, false, 0, 2, l, i, N), row[i].GetSingle());
            int argmax = Enumerable.Range(0, N).MaxBy(i => Expected(0, false, 0, 2, l, i, N));
            Assert.Equal(argmax, tok.GetProperty("dominant")[l].GetInt32());
        }
        for (int i = 0; i < N; i++)
        {
            double mean = (Enumerable.Range(0, 4).Sum(t => (double)Expected(0, false, 0, t, 0, i, N)) + Expected(1, false, 0, 0, 0, i, N)) / 5;
            Assert.Equal(mean, root.GetProperty("mean")[3][i].GetDouble(), 6);
            double rowMean = Enumerable.Range(0, 4).Average(t => (double)Expected(0, false, 0, t, 0, i, N));
            Assert.Equal(rowMean, root.GetProperty("entries")[0].GetProperty("rows")[0].GetProperty("mean")[1][i].GetDouble(), 6);
        }
    }

    [Fact]
    public void Entries_that_do_not_fit_the_labels_are_rejected_naming_the_entry()
    {
        XLoraScalingsEntry[] entries = [Entry(0, 1, 2, L, N, 0), Entry(1, 1, 1, 2, N, 2)];
        var ex = Assert.Throws<ArgumentException>(() => XLoraScalingsExport.ToJson(entries, Labels(entries)));
        Assert.Contains("entry 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("L = 4", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => XLoraScalingsExport.ToJson([], new XLoraScalingsLabels(ModuleNames, AdapterNames)));
    }

    [Fact]
    public void The_log_drops_its_oldest_entries_beyond_capacity_and_buckets_by_sequence_length()
    {
        var log = new XLoraScalingsLog { CapacityValues = 3 * L * N };                        // room for three one-token entries
        using (var s = Tensor.FromArray(new float[2 * L * N], new Shape(1, 2, L, N)))
        using (var ids = Tensor.FromInts([1, 2], new Shape(1, 2)))
        {
            log.Append(s, ids, 0);
        }
        Assert.Empty(log.Entries);                                                          // disabled by default
        log.Enabled = true;
        for (int k = 0; k < 5; k++)
        {
            int tokens = k == 0 ? 2 : 1;
            var v = Enumerable.Repeat((float)k, tokens * L * N).ToArray();
            using var s = Tensor.FromArray(v, new Shape(1, tokens, L, N));                  // [1, T, L, n]
            using var ids = Tensor.FromInts(Enumerable.Repeat(k, tokens).ToArray(), new Shape(1, tokens));
            log.Append(s, ids, k == 0 ? 0 : k + 1);
        }
        // Token counts 2, 1, 1, 1, 1 (× L·n values) against room for 3 tokens: the two oldest entries go.
        Assert.Equal(2, log.Dropped);
        Assert.Equal([2f, 3f, 4f], log.Entries.Select(e => e.Values[0]));
        Assert.Equal([3, 4, 5], log.Entries.Select(e => e.PastLength));
        Assert.Equal([4], log.Entries[2].TokenIds);
        var buckets = log.BySequenceLength();
        Assert.Equal([0, 1, 2], buckets[1]);
        log.Clear();
        Assert.Empty(log.Entries);
        Assert.Equal(0, log.Dropped);
    }

    /// <summary>A minimal .npy v1.0 reader for little-endian float32 C-order arrays; checks the header rules.</summary>
    private static (long[] Shape, float[] Data) ReadNpy(string file)
    {
        var bytes = File.ReadAllBytes(file);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, bytes[..8]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.EndsWith("\n", header, StringComparison.Ordinal);
        Assert.Contains("'descr': '<f4'", header, StringComparison.Ordinal);
        Assert.Contains("'fortran_order': False", header, StringComparison.Ordinal);
        var m = Regex.Match(header, @"'shape': \(([0-9, ]*)\)");
        Assert.True(m.Success, header);
        long[] shape = [.. m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse)];
        int offset = 10 + headerLength;
        long count = shape.Aggregate(1L, (a, d) => a * d);
        Assert.Equal(count * 4, bytes.Length - offset);
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset + 4 * i));
        return (shape, data);
    }

    /// <summary>A minimal RFC 4180 reader: quoted fields may hold commas, doubled quotes and newlines.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var f = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    f.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    f.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(f.ToString());
                f.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(f.ToString());
                f.Clear();
                records.Add([.. fields]);
                fields.Clear();
            }
            else
            {
                f.Append(c);
            }
        }
        Assert.Empty(fields);
        return records;
    }
}

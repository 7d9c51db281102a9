// svf_mixture.json (spec §8): a fixed α-mixture of SVF experts, e.g. the result of few-shot CEM (§9.3).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Svf;

/// <summary>
/// A mixture file <c>svf_mixture.json</c> = <c>{experts: [paths], alpha: K or K×M numbers, per_layer: bool, mask_space: bool}</c>
/// (spec §8). With <c>per_layer</c> α is written as K rows of M numbers (expert k, basis matrix m); in memory it is flat,
/// row-major α[k·M + m]. Relative expert paths are resolved against the file's directory. Applied with
/// <see cref="SvfHost.ApplyMixture"/>: z'_m = Σ_k α_{k,m}·sigmoid(p_{k,m}) in mask space.
/// </summary>
/// <param name="Experts">Expert directories, as written (relative to the file, or absolute).</param>
/// <param name="Alpha">α: K numbers, or K·M row-major when <paramref name="PerLayer"/>.</param>
/// <param name="PerLayer">Whether α has one number per expert and matrix.</param>
/// <param name="MaskSpace">Mask-space (true, the reference) or parameter-space mixing.</param>
public sealed record SvfMixture(IReadOnlyList<string> Experts, double[] Alpha, bool PerLayer, bool MaskSpace = true)
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "svf_mixture.json";

    /// <summary>The file path when <paramref name="path"/> is a directory holding <see cref="FileName"/>, else <paramref name="path"/> itself.</summary>
    public static string ResolvePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Directory.Exists(path) ? Path.Combine(path, FileName) : path;
    }

    /// <summary>Whether <paramref name="path"/> is a mixture file or a directory holding one.</summary>
    public static bool IsMixture(string path) => File.Exists(ResolvePath(path)) && ResolvePath(path).EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The space of <see cref="SvfHost.ApplyMixture"/>.</summary>
    public SvfMixSpace Space => MaskSpace ? SvfMixSpace.Mask : SvfMixSpace.Parameter;

    /// <summary>Writes the file (atomically) to <paramref name="path"/> (a directory gets <see cref="FileName"/>; created).</summary>
    /// <exception cref="ArgumentException">α's length is not a multiple of the expert count under <see cref="PerLayer"/>, or not K without it.</exception>
    public string Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        int k = Experts.Count;
        if (k == 0) throw new ArgumentException("svf_mixture: no experts");
        if (PerLayer ? Alpha.Length % k != 0 || Alpha.Length == 0 : Alpha.Length != k)
        {
            throw new ArgumentException($"svf_mixture: α has {Alpha.Length} numbers for {k} experts (per_layer = {PerLayer})");
        }
        string file = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path : Path.Combine(path, FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("experts");
            foreach (var e in Experts) w.WriteStringValue(e);
            w.WriteEndArray();
            w.WriteStartArray("alpha");
            if (PerLayer)
            {
                int m = Alpha.Length / k;
                for (int i = 0; i < k; i++)
                {
                    w.WriteStartArray();
                    for (int j = 0; j < m; j++) w.WriteNumberValue(Alpha[(i * m) + j]);
                    w.WriteEndArray();
                }
            }
            else
            {
                foreach (var a in Alpha) w.WriteNumberValue(a);
            }
            w.WriteEndArray();
            w.WriteBoolean("per_layer", PerLayer);
            w.WriteBoolean("mask_space", MaskSpace);
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(file, ms.ToArray());
        return file;
    }

    /// <summary>Reads a mixture file (or a directory holding one); expert paths are resolved against its directory.</summary>
    /// <exception cref="InvalidDataException">Missing or malformed fields (names the file and field).</exception>
    public static SvfMixture Load(string path)
    {
        string file = ResolvePath(path);
        if (!File.Exists(file)) throw new FileNotFoundException($"SVF mixture not found: {file}", file);
        var o = JsonText.ParseObject(File.ReadAllText(file), file);
        string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (o["experts"] is not JsonArray experts || experts.Count == 0) throw new InvalidDataException($"{file}: 'experts' must be a non-empty array of expert directories");
        var paths = experts.Select((e, i) => e is JsonValue v && v.TryGetValue<string>(out var s) ? Path.GetFullPath(Path.Combine(dir, s))
            : throw new InvalidDataException($"{file}: experts[{i}] must be a string")).ToList();
        bool perLayer = o["per_layer"] is JsonValue pl && pl.TryGetValue<bool>(out var b) && b;
        bool mask = o["mask_space"] is not JsonValue ms || !ms.TryGetValue<bool>(out var mb) || mb;
        if (o["alpha"] is not JsonArray alpha) throw new InvalidDataException($"{file}: 'alpha' must be an array of numbers (K) or of K arrays (K×M)");
        var flat = new List<double>();
        int rowLength = -1;
        for (int i = 0; i < alpha.Count; i++)
        {
            if (alpha[i] is JsonArray row)
            {
                if (rowLength >= 0 && row.Count != rowLength) throw new InvalidDataException($"{file}: alpha[{i}] has {row.Count} numbers, alpha[0] has {rowLength}");
                rowLength = row.Count;
                for (int j = 0; j < row.Count; j++) flat.Add(Number(row[j], file, $"alpha[{i}][{j}]"));
            }
            else
            {
                flat.Add(Number(alpha[i], file, $"alpha[{i}]"));
            }
        }
        if (rowLength >= 0 && alpha.Count != paths.Count) throw new InvalidDataException($"{file}: alpha has {alpha.Count} rows for {paths.Count} experts");
        if (rowLength < 0 && !perLayer && flat.Count != paths.Count) throw new InvalidDataException($"{file}: alpha has {flat.Count} numbers for {paths.Count} experts");
        return new SvfMixture(paths, [.. flat], perLayer || rowLength >= 0, mask);
    }

    /// <summary>Loads the experts (checked against <paramref name="host"/>'s basis) and installs the mixture; the caller owns the returned experts.</summary>
    /// <exception cref="ArgumentException">An expert of another basis, or α that does not fit K × M.</exception>
    public IReadOnlyList<SvfExpert> ApplyTo(SvfHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var loaded = new List<SvfExpert>();
        try
        {
            foreach (var e in Experts) loaded.Add(SvfExpert.Load(e, host.Basis));
            host.ApplyMixture(loaded, Alpha, Space);
            return loaded;
        }
        catch
        {
            foreach (var e in loaded) e.Dispose();
            throw;
        }
    }

    private static double Number(JsonNode? n, string file, string what) =>
        n is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d
            : throw new InvalidDataException($"{file}: {what} must be a finite number (got {n?.ToJsonString() ?? "null"})");

    /// <summary>A short human-readable form: α rounded to 3 decimals.</summary>
    public override string ToString() => $"{Experts.Count} experts, α = [{string.Join(", ", Alpha.Take(8).Select(a => a.ToString("F3", CultureInfo.InvariantCulture)))}{(Alpha.Length > 8 ? ", …" : "")}]";
}

// `expertmix svf inspect PATH [--json]`: an SVF basis, expert or mixture: metadata, per-matrix ranks, z or σ statistics.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Adapters.Svf;
using ExpertMix.Tensors.IO;
using Spectre.Console;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>The `svf inspect` verb.</summary>
internal static class SvfInspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "An SVF expert directory, an svf_mixture.json (or its directory), or an svf-basis.safetensors (or its directory)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("inspect", "Show an SVF basis (shapes, σ range), expert (z = max_mult·sigmoid(p) per matrix, metadata) or mixture (experts, α).");
        cmd.Add(path);
        cmd.Add(json);
        cmd.SetAction(pr => Execute(pr.GetValue(path)!, pr.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Execute(string path, bool json, TextWriter output)
    {
        var report = Describe(path);
        if (json)
        {
            output.WriteLine(CliJson.Serialize(report));
            return 0;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var summary = new Table().Border(TableBorder.Rounded).AddColumns("", "");
        summary.ShowHeaders = false;
        foreach (var (k, v) in report.Where(kv => kv.Value is not (System.Collections.IEnumerable and not string)))
        {
            summary.AddRow(Markup.Escape(k), Markup.Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null"));
        }
        console.Write(summary);
        if (report.GetValueOrDefault("matrices") is List<Dictionary<string, object?>> rows && rows.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns([.. rows[0].Keys]);
            foreach (var r in rows) table.AddRow([.. r.Values.Select(v => Markup.Escape(v is double d ? d.ToString("G5", CultureInfo.InvariantCulture) : v is int[] s ? string.Join("×", s) : Convert.ToString(v, CultureInfo.InvariantCulture) ?? ""))]);
            console.Write(table);
        }
        if (report.GetValueOrDefault("experts") is IEnumerable<string> experts)
        {
            foreach (var e in experts) console.MarkupLine($"expert: {Markup.Escape(e)}");
            console.MarkupLine($"α: {Markup.Escape(string.Join(", ", ((double[])report["alpha"]!).Select(a => a.ToString("F4", CultureInfo.InvariantCulture))))}");
        }
        return 0;
    }

    /// <summary>The report of <paramref name="path"/> (kind = basis, expert or mixture).</summary>
    internal static Dictionary<string, object?> Describe(string path)
    {
        if (Directory.Exists(path))
        {
            if (File.Exists(Path.Combine(path, SvfExpert.WeightsFileName))) return Expert(path);
            if (File.Exists(Path.Combine(path, SvfMixture.FileName))) return Mixture(path);
            if (File.Exists(Path.Combine(path, SvfBasis.FileName))) return Basis(Path.Combine(path, SvfBasis.FileName));
            throw new UserErrorException($"{path} holds no {SvfExpert.WeightsFileName}, {SvfMixture.FileName} or {SvfBasis.FileName}");
        }
        if (!File.Exists(path)) throw new UserErrorException($"not found: {path}");
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return Mixture(path);
        using (var f = SafetensorsFile.Open(path))
        {
            string? format = f.Metadata.GetValueOrDefault("format");
            if (format == SvfExpert.Format) return Expert(Path.GetDirectoryName(Path.GetFullPath(path))!);
            if (format != SvfBasis.Format) throw new UserErrorException($"{path}: metadata format '{format ?? "(missing)"}' is neither '{SvfBasis.Format}' nor '{SvfExpert.Format}'");
        }
        return Basis(path);
    }

    private static Dictionary<string, object?> Expert(string dir)
    {
        using var e = SvfExpert.Load(dir);
        var rows = e.Parameters.Select(x =>
        {
            var z = x.P.ToArray().Select(p => e.MaxMult / (1 + Math.Exp(-p))).ToArray();
            return new Dictionary<string, object?> { ["name"] = x.ParamName, ["r"] = z.Length, ["z_mean"] = z.Average(), ["z_min"] = z.Min(), ["z_max"] = z.Max() };
        }).ToList();
        return new Dictionary<string, object?>
        {
            ["kind"] = "expert",
            ["path"] = Path.GetFullPath(dir),
            ["name"] = e.Name,
            ["format"] = SvfExpert.Format,
            ["max_mult"] = e.MaxMult,
            ["base_model"] = e.BaseModel,
            ["basis_sha256"] = e.BasisSha256,
            ["targets"] = e.Config?.Targets,
            ["training_mode"] = e.Config?.TrainingMode,
            ["seed"] = e.Config?.Seed,
            ["parameters"] = rows.Sum(r => (int)r["r"]!),
            ["matrices"] = rows,
        };
    }

    private static Dictionary<string, object?> Mixture(string path)
    {
        var m = SvfMixture.Load(path);
        int k = m.Experts.Count;
        return new Dictionary<string, object?>
        {
            ["kind"] = "mixture",
            ["path"] = Path.GetFullPath(SvfMixture.ResolvePath(path)),
            ["experts"] = m.Experts,
            ["alpha"] = m.Alpha,
            ["per_layer"] = m.PerLayer,
            ["mask_space"] = m.MaskSpace,
            ["k"] = k,
            ["m"] = m.PerLayer ? m.Alpha.Length / k : (int?)null,
        };
    }

    private static Dictionary<string, object?> Basis(string path)
    {
        using var f = SafetensorsFile.Open(path);
        var meta = f.Metadata;
        var rows = new List<Dictionary<string, object?>>();
        foreach (var name in f.Names.Where(n => n.EndsWith(".S", StringComparison.Ordinal)).Select(n => n[..^2]))
        {
            var u = f.GetInfo(name + ".U").Shape;
            var v = f.GetInfo(name + ".V").Shape;
            using var s = f.GetTensor(name + ".S");
            var sigma = s.ToArray();
            rows.Add(new Dictionary<string, object?>
            {
                ["name"] = name,
                ["shape"] = new[] { (int)u[0], (int)v[0] },
                ["r"] = sigma.Length,
                ["sigma_max"] = (double)sigma.Max(),
                ["sigma_min"] = (double)sigma.Min(),
            });
        }
        return new Dictionary<string, object?>
        {
            ["kind"] = "basis",
            ["path"] = Path.GetFullPath(path),
            ["format"] = meta.GetValueOrDefault("format"),
            ["version"] = meta.GetValueOrDefault("version"),
            ["base_model"] = meta.GetValueOrDefault("base_model"),
            ["targets"] = meta.GetValueOrDefault("targets"),
            ["uv_dtype"] = meta.GetValueOrDefault("uv_dtype"),
            ["parameters"] = rows.Sum(r => (int)r["r"]!),
            ["bytes"] = new FileInfo(path).Length,
            ["matrices"] = rows,
        };
    }
}

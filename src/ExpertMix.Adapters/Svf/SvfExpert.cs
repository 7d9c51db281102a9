// An SVF expert: one pre-sigmoid vector p per adapted matrix; files svf_expert.safetensors + svf_config.json.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Svf;

/// <summary>The informational part of an expert (<c>svf_config.json</c>): how it was made.</summary>
/// <param name="Targets">The target suffixes.</param>
/// <param name="InitMean">Initial mean of p (reference 0.1).</param>
/// <param name="InitStd">Initial standard deviation of p (reference 0.01).</param>
/// <param name="TrainingMode">E.g. <c>sft</c>, <c>reinforce</c>, <c>grpo</c>, <c>init</c>.</param>
/// <param name="Seed">The seed of the initial noise and training.</param>
public sealed record SvfExpertConfig(string Targets, double InitMean = 0.1, double InitStd = 0.01, string TrainingMode = "init", ulong Seed = 0);

/// <summary>
/// An SVF expert: p [r] f32 per adapted matrix (key = HF parameter name), pre-sigmoid, with z = max_mult·sigmoid(p).
/// File <c>svf_expert.safetensors</c>: tensors p by parameter name; metadata <c>format=expertmix-svf</c>,
/// <c>version=1</c>, <c>param=pre-sigmoid</c>, <c>max_mult</c>, <c>base_model</c>, <c>basis_sha256</c>
/// (<see cref="SvfBasis.Fingerprint"/>). Owns its vectors.
/// </summary>
public sealed class SvfExpert : IDisposable
{
    /// <summary>The <c>format</c> metadata value.</summary>
    public const string Format = "expertmix-svf";

    /// <summary>The expert weights file name.</summary>
    public const string WeightsFileName = "svf_expert.safetensors";

    /// <summary>The config file name.</summary>
    public const string ConfigFileName = "svf_config.json";

    /// <summary>An expert over <paramref name="parameters"/> (ownership moves here; unnamed vectors are named by their parameter name).</summary>
    /// <exception cref="ArgumentException">A vector is not f32 rank 1, or max_mult ≤ 0.</exception>
    internal SvfExpert(string name, IReadOnlyList<(string ParamName, Tensor P)> parameters, float maxMult, string baseModel, string basisSha256, SvfExpertConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxMult > 0)) throw new ArgumentException($"SVF expert '{name}': max_mult must be > 0 (got {maxMult})");
        foreach (var (n, p) in parameters)
        {
            if (p.Rank != 1 || p.DType != DType.F32) throw new ArgumentException($"SVF expert '{name}': {n} must be an f32 vector, got {p.Describe()}");
            p.Name ??= n;   // optimiser state is keyed by parameter name
        }
        Name = name;
        Parameters = parameters;
        MaxMult = maxMult;
        BaseModel = baseModel;
        BasisSha256 = basisSha256;
        Config = config;
    }

    /// <summary>The expert's name.</summary>
    public string Name { get; }

    /// <summary>(HF parameter name, p [r]) in model order.</summary>
    public IReadOnlyList<(string ParamName, Tensor P)> Parameters { get; }

    /// <summary>max_mult (z ∈ (0, max_mult)).</summary>
    public float MaxMult { get; }

    /// <summary>The base model the expert was trained on (informational).</summary>
    public string BaseModel { get; }

    /// <summary>The fingerprint of the basis the expert belongs to.</summary>
    public string BasisSha256 { get; }

    /// <summary>How the expert was made (null when unknown).</summary>
    public SvfExpertConfig? Config { get; }

    /// <summary>p of <paramref name="paramName"/>, or null.</summary>
    public Tensor? Find(string paramName) => Parameters.FirstOrDefault(x => x.ParamName == paramName).P;

    /// <summary>
    /// The reference initialisation p_i = mean + std·N(0, 1) (defaults 0.1, 0.01; drawn matrix by matrix in basis order)
    /// for every matrix of <paramref name="basis"/>; the vectors require grad.
    /// </summary>
    public static SvfExpert CreateInitial(string name, SvfBasis basis, Rng rng, double mean = 0.1, double std = 0.01, float maxMult = 1f)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(rng);
        var ps = new List<(string, Tensor)>();
        foreach (var m in basis.Matrices)
        {
            var v = new float[m.Rank];
            for (int i = 0; i < v.Length; i++) v[i] = (float)(mean + (std * rng.NextNormal()));
            var p = TensorScope.Forget(Tensor.FromArray(v, new Shape(m.Rank)));       // [r]
            p.RequiresGrad = true;
            ps.Add((m.ParamName, p));
        }
        return new SvfExpert(name, ps, maxMult, basis.BaseModel, basis.Fingerprint, new SvfExpertConfig(basis.Targets.ToString(), mean, std));
    }

    /// <summary>Checks that the expert fits <paramref name="basis"/> (fingerprint, names, lengths).</summary>
    /// <exception cref="ArgumentException">Another basis (names both fingerprints), an unknown matrix, or a wrong length (named).</exception>
    public void CheckFits(SvfBasis basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        if (BasisSha256 != basis.Fingerprint)
        {
            throw new ArgumentException($"SVF expert '{Name}' was trained on another basis (basis_sha256 {Short(BasisSha256)}, this model's basis is {Short(basis.Fingerprint)})");
        }
        foreach (var (n, p) in Parameters)
        {
            if (!basis.Contains(n)) throw new ArgumentException($"SVF expert '{Name}' adapts {n}, which the basis does not decompose");
            if (p.Size(0) != basis[n].Rank) throw new ArgumentException($"SVF expert '{Name}': {n} has {p.Size(0)} entries, the basis rank is {basis[n].Rank}");
        }
    }

    /// <summary>Writes <c>svf_expert.safetensors</c> and <c>svf_config.json</c> into <paramref name="directory"/> (created; each file atomic).</summary>
    public void Save(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["version"] = "1",
            ["param"] = "pre-sigmoid",
            ["max_mult"] = MaxMult.ToString("R", CultureInfo.InvariantCulture),
            ["base_model"] = BaseModel,
            ["basis_sha256"] = BasisSha256,
        };
        using (Autograd.NoGrad())
        {
            SafetensorsWriter.Write(Path.Combine(directory, WeightsFileName), Parameters.Select(x => (x.ParamName, x.P.Detach())), meta);
        }
        var c = Config ?? new SvfExpertConfig("");
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("targets", c.Targets);
            w.WriteNumber("init_mean", c.InitMean);
            w.WriteNumber("init_std", c.InitStd);
            w.WriteString("training_mode", c.TrainingMode);
            w.WriteNumber("seed", c.Seed);
            w.WriteNumber("max_mult", MaxMult);
            w.WriteString("base_model", BaseModel);
            w.WriteString("basis_sha256", BasisSha256);
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, ConfigFileName), ms.ToArray());
    }

    /// <summary>Reads an expert from <paramref name="directory"/>; with <paramref name="basis"/> it is checked (<see cref="CheckFits"/>).</summary>
    /// <exception cref="InvalidDataException">Not an SVF expert file or bad metadata (names the file).</exception>
    public static SvfExpert Load(string directory, SvfBasis? basis = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string path = Path.Combine(directory, WeightsFileName);
        using var file = SafetensorsFile.Open(path);
        var meta = file.Metadata;
        if (meta.GetValueOrDefault("format") != Format) throw new InvalidDataException($"{path}: not an SVF expert (metadata format '{meta.GetValueOrDefault("format") ?? "(missing)"}', expected '{Format}')");
        if (meta.GetValueOrDefault("param") is { } param && param != "pre-sigmoid") throw new InvalidDataException($"{path}: param={param}; only pre-sigmoid vectors are supported");
        if (!float.TryParse(meta.GetValueOrDefault("max_mult") ?? "1", NumberStyles.Float, CultureInfo.InvariantCulture, out float maxMult) || !(maxMult > 0))
        {
            throw new InvalidDataException($"{path}: max_mult '{meta.GetValueOrDefault("max_mult")}' must be a positive number");
        }
        var ps = new List<(string, Tensor)>();
        foreach (var n in file.Names)
        {
            using var t = file.GetTensor(n);
            if (t.Rank != 1) throw new InvalidDataException($"{path}: {n} is {t.Shape}; SVF vectors are [r]");
            var p = TensorScope.Forget(Tensor.FromArray(t.ToArray(), new Shape(t.Size(0))));   // owned f32 copy [r]
            ps.Add((n, p));
        }
        var cfgPath = Path.Combine(directory, ConfigFileName);
        SvfExpertConfig? config = null;
        if (File.Exists(cfgPath))
        {
            var o = JsonText.ParseObject(File.ReadAllText(cfgPath), cfgPath);
            config = new SvfExpertConfig(Str(o, "targets") ?? "", Num(o, "init_mean") ?? 0.1, Num(o, "init_std") ?? 0.01, Str(o, "training_mode") ?? "init", (ulong)(Num(o, "seed") ?? 0));
        }
        if (basis is not null)
        {
            var order = basis.Matrices.Select((m, i) => (m.ParamName, i)).ToDictionary(x => x.ParamName, x => x.i, StringComparer.Ordinal);
            ps = [.. ps.OrderBy(x => order.GetValueOrDefault(x.Item1, int.MaxValue))];
        }
        var expert = new SvfExpert(name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))), ps, maxMult,
            meta.GetValueOrDefault("base_model") ?? "", meta.GetValueOrDefault("basis_sha256") ?? "", config);
        if (basis is not null)
        {
            try
            {
                expert.CheckFits(basis);
            }
            catch (ArgumentException e)
            {
                expert.Dispose();
                throw new ArgumentException($"{path}: {e.Message}", e);
            }
        }
        return expert;
    }

    /// <summary>Releases the vectors.</summary>
    public void Dispose()
    {
        foreach (var (_, p) in Parameters) p.Dispose();
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha.Length == 0 ? "(none)" : sha;

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Num(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
}

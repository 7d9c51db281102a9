// The per-model SVD basis of SVF: computed once (parallel over matrices), cached as svf-basis.safetensors, verified on load.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ExpertMix.Models;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Svf;

/// <summary>Storage precision of U and V in a basis file (σ is always f32).</summary>
public enum SvfBasisPrecision
{
    /// <summary>U, V in f32 (exact round-trip of the f32 factors).</summary>
    F32,

    /// <summary>U, V in bf16 (half the size; composition then carries ~3 significant digits per factor entry).</summary>
    BF16,
}

/// <summary>Progress of <see cref="SvfBasis.Decompose"/>: <paramref name="Done"/> of <paramref name="Total"/> matrices finished.</summary>
/// <param name="Done">Matrices finished so far.</param>
/// <param name="Total">Matrices in all.</param>
/// <param name="ParamName">The matrix just finished (HF parameter name).</param>
/// <param name="Elapsed">Wall time since the decomposition started.</param>
public sealed record SvfProgress(int Done, int Total, string ParamName, TimeSpan Elapsed);

/// <summary>
/// The SVD of one target weight W [m, n] (m = out, n = in, as the model holds it; GPT-2 Conv1D weights are transposed
/// at load, so their basis is of Wᵀ of the checkpoint tensor): U [m, r], σ [r] descending, V [n, r], all f32, r = min(m, n).
/// </summary>
internal sealed class SvfMatrixBasis : IDisposable
{
    /// <summary>Takes ownership of U [m, r], σ [r] and V [n, r] of parameter <paramref name="paramName"/> (sha256 of its weight, or "" when unchecked).</summary>
    public SvfMatrixBasis(string paramName, Tensor u, Tensor s, Tensor v, string weightSha256)
    {
        ParamName = paramName;
        U = u;
        S = s;
        V = v;
        WeightSha256 = weightSha256;
    }

    /// <summary>The HF parameter name, e.g. <c>model.layers.0.mlp.gate_proj.weight</c>.</summary>
    public string ParamName { get; }

    /// <summary>The module path (the parameter name without <c>.weight</c>).</summary>
    public string ModulePath => ParamName.EndsWith(".weight", StringComparison.Ordinal) ? ParamName[..^7] : ParamName;

    /// <summary>U [m, r] f32 (memory-mapped when loaded from an f32 file).</summary>
    public Tensor U { get; }

    /// <summary>σ [r] f32, descending.</summary>
    public Tensor S { get; }

    /// <summary>V [n, r] f32.</summary>
    public Tensor V { get; }

    /// <summary>m (out features).</summary>
    public int Rows => U.Size(0);

    /// <summary>n (in features).</summary>
    public int Cols => V.Size(0);

    /// <summary>r = min(m, n).</summary>
    public int Rank => S.Size(0);

    /// <summary>Lower-case hex sha256 of the source weight's f32 little-endian bytes in [out, in] order.</summary>
    public string WeightSha256 { get; }

    /// <summary>Releases the factor tensors.</summary>
    public void Dispose()
    {
        U.Dispose();
        S.Dispose();
        V.Dispose();
    }
}

/// <summary>
/// The SVF basis of a model: one <see cref="SvfMatrixBasis"/> per target, keyed by HF parameter name. File
/// <c>svf-basis.safetensors</c>: tensors <c>&lt;param&gt;.U</c> [m, r], <c>.S</c> [r] (f32), <c>.V</c> [n, r];
/// metadata <c>format=expertmix-svf-basis</c>, <c>version=1</c>, <c>base_model</c>, <c>targets</c>,
/// <c>sha256.&lt;param&gt;</c> = sha256 of the source weight (checked against the model on load).
/// </summary>
public sealed class SvfBasis : IDisposable
{
    /// <summary>The <c>format</c> metadata value.</summary>
    public const string Format = "expertmix-svf-basis";

    /// <summary>The <c>version</c> metadata value written.</summary>
    public const string Version = "1";

    /// <summary>The conventional file name.</summary>
    public const string FileName = "svf-basis.safetensors";

    private readonly Dictionary<string, SvfMatrixBasis> _byName;

    private SvfBasis(IReadOnlyList<SvfMatrixBasis> matrices, string baseModel, SvfTargets targets)
    {
        Matrices = matrices;
        BaseModel = baseModel;
        Targets = targets;
        _byName = matrices.ToDictionary(m => m.ParamName, StringComparer.Ordinal);
        Fingerprint = ComputeFingerprint(matrices);
    }

    /// <summary>A basis over already computed factors (tests and tools; the caller vouches that they are an SVD of the weights).</summary>
    internal static SvfBasis FromMatrices(IReadOnlyList<SvfMatrixBasis> matrices, string baseModel, SvfTargets targets) => new(matrices, baseModel, targets);

    /// <summary>The matrices in model order.</summary>
    internal IReadOnlyList<SvfMatrixBasis> Matrices { get; }

    /// <summary>The base model's name or path (informational).</summary>
    public string BaseModel { get; }

    /// <summary>The targets the basis was built for.</summary>
    public SvfTargets Targets { get; }

    /// <summary>
    /// sha256 (hex) of the lines <c>param \t m \t n \t weight_sha256 \n</c> in ordinal name order: identifies the base
    /// weights and targets, independent of the U/V storage precision (the <c>basis_sha256</c> of expert files).
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>The basis of <paramref name="paramName"/>.</summary>
    /// <exception cref="KeyNotFoundException">Not a target of this basis (named).</exception>
    internal SvfMatrixBasis this[string paramName] => _byName.TryGetValue(paramName, out var m) ? m
        : throw new KeyNotFoundException($"SVF basis has no matrix '{paramName}' (it has {Matrices.Count}, e.g. {Matrices[0].ParamName})");

    /// <summary>Whether <paramref name="paramName"/> is in the basis.</summary>
    public bool Contains(string paramName) => _byName.ContainsKey(paramName);

    /// <summary>
    /// Decomposes every target of <paramref name="model"/> with <see cref="FullSvd"/> (f64), in parallel over matrices
    /// (at most <paramref name="maxParallelism"/>, default all cores); <paramref name="progress"/> is called after each
    /// matrix (serialised).
    /// </summary>
    public static SvfBasis Decompose(ICausalLm model, SvfTargets? targets = null, string baseModel = "", Action<SvfProgress>? progress = null, int maxParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        targets ??= SvfTargets.Mlp;
        var slots = targets.Resolve(model);
        var result = new SvfMatrixBasis[slots.Count];
        var sw = Stopwatch.StartNew();
        int done = 0;
        var gate = new object();
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount };
        Parallel.For(0, slots.Count, options, i =>
        {
            string name = slots[i].ModulePath + ".weight";
            float[] w;
            using (var weight = SvfTargets.BaseWeight(slots[i].Module)) w = weight.ToArray();   // [m, n] f32
            int m = slots[i].Module.OutFeatures, n = slots[i].Module.InFeatures, r = Math.Min(m, n);
            var svd = FullSvd.Decompose(w, m, n);
            var u = Tensor.FromArray(ToFloat(svd.U), new Shape(m, r));                          // [m, r]
            var s = Tensor.FromArray(ToFloat(svd.Sigma), new Shape(r));                         // [r]
            var v = Tensor.FromArray(ToFloat(svd.V), new Shape(n, r));                          // [n, r]
            result[i] = new SvfMatrixBasis(name, TensorScope.Forget(u), TensorScope.Forget(s), TensorScope.Forget(v), Sha256(w));
            lock (gate) progress?.Invoke(new SvfProgress(++done, slots.Count, name, sw.Elapsed));
        });
        return new SvfBasis(result, baseModel, targets);
    }

    /// <summary>Writes the basis to <paramref name="path"/> atomically (U, V in <paramref name="precision"/>; σ f32).</summary>
    public void Save(string path, SvfBasisPrecision precision = SvfBasisPrecision.F32)
    {
        ArgumentNullException.ThrowIfNull(path);
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["version"] = Version,
            ["base_model"] = BaseModel,
            ["targets"] = Targets.ToString(),
            ["uv_dtype"] = precision == SvfBasisPrecision.BF16 ? "bf16" : "f32",
        };
        var owned = new List<Tensor>();
        try
        {
            var tensors = new List<(string, Tensor)>();
            foreach (var m in Matrices)
            {
                meta["sha256." + m.ParamName] = m.WeightSha256;
                tensors.Add((m.ParamName + ".U", Store(m.U)));
                tensors.Add((m.ParamName + ".S", m.S));
                tensors.Add((m.ParamName + ".V", Store(m.V)));
            }
            SafetensorsWriter.Write(path, tensors, meta);
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }

        Tensor Store(Tensor t)
        {
            if (precision == SvfBasisPrecision.F32) return t;
            var b = TensorScope.Forget(t.Compact(DType.BF16));
            owned.Add(b);
            return b;
        }
    }

    /// <summary>
    /// Loads <paramref name="path"/> memory-mapped (f32 U/V stay mapped; bf16 ones are widened to f32 once) and
    /// verifies that every matrix's source-weight sha256 equals that of <paramref name="model"/>'s weight.
    /// </summary>
    /// <exception cref="InvalidDataException">Not an SVF basis, a missing tensor, or a shape that disagrees (named).</exception>
    /// <exception cref="ArgumentException">A weight of <paramref name="model"/> differs from the one decomposed (names the tensor), or a module is missing.</exception>
    public static SvfBasis Load(string path, ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        using var file = SafetensorsFile.Open(path);
        var meta = file.Metadata;
        if (!meta.TryGetValue("format", out var format) || format != Format)
        {
            throw new InvalidDataException($"{path}: not an SVF basis (metadata format is '{format ?? "(missing)"}', expected '{Format}')");
        }
        var names = file.Names.Where(n => n.EndsWith(".S", StringComparison.Ordinal)).Select(n => n[..^2]).ToList();
        var slots = model.Linears.ToDictionary(s => s.ModulePath + ".weight", StringComparer.Ordinal);
        var matrices = new List<SvfMatrixBasis>();
        try
        {
            foreach (var name in names)
            {
                if (!slots.TryGetValue(name, out var slot)) throw new ArgumentException($"{path}: the basis decomposes {name}, which this {model.Info.Architecture} does not have");
                if (!meta.TryGetValue("sha256." + name, out var expected)) throw new InvalidDataException($"{path}: metadata lacks sha256.{name}");
                string actual;
                using (var weight = SvfTargets.BaseWeight(slot.Module)) actual = Sha256(weight.ToArray());
                if (actual != expected)
                {
                    throw new ArgumentException($"{path}: the basis of {name} was computed from another weight (sha256 {expected[..12]}…, this model's is {actual[..12]}…); decompose this model again");
                }
                var u = Widen(file, name + ".U");
                var s = Widen(file, name + ".S");
                var v = Widen(file, name + ".V");
                var mb = new SvfMatrixBasis(name, u, s, v, expected);
                matrices.Add(mb);
                int m = slot.Module.OutFeatures, n = slot.Module.InFeatures, r = Math.Min(m, n);
                if (u.Shape != new Shape(m, r) || s.Shape != new Shape(r) || v.Shape != new Shape(n, r))
                {
                    throw new InvalidDataException($"{path}: {name} has U {u.Shape}, S {s.Shape}, V {v.Shape}; expected [{m}, {r}], [{r}], [{n}, {r}]");
                }
            }
            if (matrices.Count == 0) throw new InvalidDataException($"{path}: the SVF basis holds no matrices");
            var targets = meta.TryGetValue("targets", out var t) ? SvfTargets.Parse(t) : SvfTargets.Mlp;
            var order = model.Linears.Select((sl, i) => (sl.ModulePath + ".weight", i)).ToDictionary(x => x.Item1, x => x.i, StringComparer.Ordinal);
            return new SvfBasis(matrices.OrderBy(mb => order[mb.ParamName]).ToList(), meta.GetValueOrDefault("base_model", ""), targets);
        }
        catch
        {
            foreach (var mb in matrices) mb.Dispose();
            throw;
        }
    }

    /// <summary>Loads <paramref name="path"/> when it exists (verified), else decomposes <paramref name="model"/> and saves it there.</summary>
    public static SvfBasis LoadOrDecompose(string path, ICausalLm model, SvfTargets? targets = null, string baseModel = "", Action<SvfProgress>? progress = null, SvfBasisPrecision precision = SvfBasisPrecision.F32)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) return Load(path, model);
        var basis = Decompose(model, targets, baseModel, progress);
        basis.Save(path, precision);
        return basis;
    }

    /// <summary>Lower-case hex sha256 of <paramref name="w"/>'s f32 little-endian bytes.</summary>
    internal static string Sha256(ReadOnlySpan<float> w)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(w);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SVF hashes assume a little-endian machine");
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Releases the factor tensors (and with them the file mapping).</summary>
    public void Dispose()
    {
        foreach (var m in Matrices) m.Dispose();
    }

    private static string ComputeFingerprint(IEnumerable<SvfMatrixBasis> matrices)
    {
        var sb = new StringBuilder();
        foreach (var m in matrices.OrderBy(m => m.ParamName, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{m.ParamName}\t{m.Rows}\t{m.Cols}\t{m.WeightSha256}\n");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static Tensor Widen(SafetensorsFile file, string name)
    {
        if (!file.Contains(name)) throw new InvalidDataException($"{file.Path}: missing tensor {name}");
        var t = file.GetTensor(name);
        if (t.DType == DType.F32) return TensorScope.Forget(t);
        if (t.DType != DType.BF16) throw new InvalidDataException($"{file.Path}: {name} is {t.DType}; SVF bases store f32 or bf16");
        using (t) return TensorScope.Forget(t.Compact(DType.F32));
    }

    private static float[] ToFloat(double[] x) => Array.ConvertAll(x, v => (float)v);
}

// The X-LoRA gate ("scaling head"): hidden states of the scaling pass → per-token, per-module expert scalings.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

/// <summary>How a new gate's parameters start.</summary>
internal enum XLoraGateInit
{
    /// <summary>PyTorch's Linear default: weight and bias ~ U(−1/√fan_in, 1/√fan_in) (the references).</summary>
    Default,

    /// <summary>As <see cref="Default"/> but the last Linear is zero, so every scaling starts at 1/n (with softmax).</summary>
    ZeroLast,
}

/// <summary>
/// The gate of spec §3, kept in f32 whatever the base dtype: depth 1 is Linear(H → n·Lx); depth d ≥ 2 is
/// Linear(H → S), [ReLU, Dropout(p)], (d−2)×[Linear(S → S), ReLU, Dropout(p)], Linear(S → n·Lx), the bracketed
/// activations present iff <see cref="XLoraConfig.EnableReluAndDropout"/>. Lx = L when layerwise, else 1. Parameters
/// are named as in the original package's <c>xlora_classifier.safetensors</c>: hidden Linear k is <c>inner.{j}</c>
/// with j = 3k (ReLU/Dropout on) or j = k (off), the output Linear is <c>last</c>.
/// </summary>
internal sealed class XLoraClassifier : IDisposable
{
    private readonly (Tensor Weight, Tensor? Bias)[] _layers;   // hidden Linears, then the last one

    /// <summary>A gate for <paramref name="config"/> over <paramref name="layerCount"/> adapted modules, initialised per <paramref name="init"/>.</summary>
    public XLoraClassifier(XLoraConfig config, int layerCount, XLoraGateInit init, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        config.Validate();
        if (layerCount < 1) throw new ArgumentOutOfRangeException(nameof(layerCount), layerCount, "X-LoRA needs at least one adapted module");
        Config = config;
        LayerCount = layerCount;
        var shapes = LayerShapes(config, layerCount);
        _layers = new (Tensor, Tensor?)[shapes.Count];
        for (int i = 0; i < shapes.Count; i++)
        {
            var (outF, inF) = shapes[i];
            float bound = 1f / MathF.Sqrt(inF);
            bool zero = init == XLoraGateInit.ZeroLast && i == shapes.Count - 1;
            var w = Uniform(new Shape(outF, inF), bound, zero, rng);                       // [out, in]
            var b = config.UseBias ? Uniform(new Shape(outF), bound, zero, rng) : null;    // [out]
            _layers[i] = (w, b);
        }
        Name();
    }

    /// <summary>A gate with the given tensors, keyed as in <see cref="NamedParameters"/> (ownership moves here).</summary>
    /// <exception cref="ArgumentException">A tensor missing, unexpected, or of the wrong shape (named with the expected shape).</exception>
    public XLoraClassifier(XLoraConfig config, int layerCount, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        config.Validate(source);
        Config = config;
        LayerCount = layerCount;
        var shapes = LayerShapes(config, layerCount);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        _layers = new (Tensor, Tensor?)[shapes.Count];
        for (int i = 0; i < shapes.Count; i++)
        {
            var (outF, inF) = shapes[i];
            string key = KeyOf(config, i, shapes.Count);
            _layers[i] = (Take(tensors, key + ".weight", new Shape(outF, inF), source, expected, layerCount),
                config.UseBias ? Take(tensors, key + ".bias", new Shape(outF), source, expected, layerCount) : null);
        }
        var unknown = tensors.Keys.Where(k => !expected.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"{source}: unexpected classifier tensors {string.Join(", ", unknown)} (expected {string.Join(", ", expected.Order(StringComparer.Ordinal))} "
                + $"for depth {config.XLoraDepth}, relu_dropout {config.EnableReluAndDropout}, use_bias {config.UseBias})");
        }
        Name();
    }

    /// <summary>The configuration.</summary>
    public XLoraConfig Config { get; }

    /// <summary>L: the number of adapted modules the gate scores.</summary>
    public int LayerCount { get; }

    /// <summary>Lx: L when layerwise, else 1.</summary>
    public int OutputLayers => Config.LayerwiseScalings ? LayerCount : 1;

    /// <summary>n·Lx: the width of the last Linear.</summary>
    public int OutputWidth => Config.ExpertCount * OutputLayers;

    /// <summary>Number of scalars in the gate.</summary>
    public long ParameterCount => _layers.Sum(l => l.Weight.Numel + (l.Bias?.Numel ?? 0));

    /// <summary>Every tensor by its original-layout key (<c>inner.{j}.weight|bias</c>, <c>last.weight|bias</c>), in layer order.</summary>
    public IEnumerable<(string Name, Tensor Param)> NamedParameters()
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            string key = KeyOf(Config, i, _layers.Length);   // not the tensor's Name, which a trainer may rename
            yield return (key + ".weight", _layers[i].Weight);
            if (_layers[i].Bias is { } b) yield return (key + ".bias", b);
        }
    }

    /// <summary>
    /// Gate logits [B, T, n·Lx] of hidden states <paramref name="h"/> [B, T, H] (read as f32). Dropout acts only in
    /// <see cref="ForwardMode.Train"/>, drawing from <paramref name="rng"/>.
    /// </summary>
    public Tensor Logits(Tensor h, ForwardMode mode, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.Rank != 3 || h.Size(2) != Config.HiddenSize) throw new ArgumentException($"X-LoRA gate input {h.Shape} must be [B, T, {Config.HiddenSize}]", nameof(h));
        var x = h;
        for (int i = 0; i < _layers.Length; i++)
        {
            x = Ops.Linear(x, _layers[i].Weight, _layers[i].Bias);                    // [B, T, S] or [B, T, n·Lx]
            if (i == _layers.Length - 1 || !Config.EnableReluAndDropout) continue;
            x = Ops.Relu(x);                                                          // [B, T, S]
            if (mode == ForwardMode.Train && Config.XLoraDropoutP > 0f && rng is not null) x = Ops.Dropout(x, Config.XLoraDropoutP, rng);
        }
        return x;
    }

    /// <summary>
    /// λ [B, T, Lx, n] from gate logits [B, T, n·Lx]: unit o = ℓ·n + i becomes λ[…, ℓ, i]; then softmax(logits / T)
    /// over the expert axis when <see cref="XLoraConfig.EnableSoftmax"/>. Lx = 1 (not layerwise) broadcasts to every module.
    /// </summary>
    public Tensor Scalings(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        int b = logits.Size(0), t = logits.Size(1);
        var l = logits.Reshape(b, t, OutputLayers, Config.ExpertCount);               // [B, T, Lx, n]
        if (!Config.EnableSoftmax) return l;
        var scaled = Config.SoftmaxTemperature == 1f ? l : Ops.Div(l, Config.SoftmaxTemperature);
        return Ops.Softmax(scaled);                                                   // [B, T, Lx, n]
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        foreach (var (w, b) in _layers)
        {
            w.Dispose();
            b?.Dispose();
        }
    }

    /// <summary>(out, in) of every Linear, hidden ones first.</summary>
    public static IReadOnlyList<(int Out, int In)> LayerShapes(XLoraConfig config, int layerCount)
    {
        ArgumentNullException.ThrowIfNull(config);
        int width = config.ExpertCount * (config.LayerwiseScalings ? layerCount : 1);
        if (config.XLoraDepth == 1) return [(width, config.HiddenSize)];
        var shapes = new List<(int, int)> { (config.XLoraSize, config.HiddenSize) };
        for (int k = 1; k < config.XLoraDepth - 1; k++) shapes.Add((config.XLoraSize, config.XLoraSize));
        shapes.Add((width, config.XLoraSize));
        return shapes;
    }

    /// <summary>The original-layout key prefix of Linear <paramref name="index"/> of <paramref name="count"/>: <c>inner.{j}</c> or <c>last</c>.</summary>
    public static string KeyOf(XLoraConfig config, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(config);
        return index == count - 1 ? "last" : $"inner.{(config.EnableReluAndDropout ? 3 * index : index)}";
    }

    private void Name()
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            string key = KeyOf(Config, i, _layers.Length);
            _layers[i].Weight.Name = key + ".weight";
            if (_layers[i].Bias is { } b) b.Name = key + ".bias";
        }
    }

    private static Tensor Uniform(Shape shape, float bound, bool zero, Rng rng)
    {
        var t = TensorScope.Forget(Tensor.Zeros(shape));
        if (zero) return t;
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (2f * rng.NextFloat() - 1f) * bound;
        return t;
    }

    private static Tensor Take(IReadOnlyDictionary<string, Tensor> tensors, string key, Shape shape, string source, HashSet<string> expected, int layerCount)
    {
        expected.Add(key);
        if (!tensors.TryGetValue(key, out var t)) throw new ArgumentException($"{source}: classifier tensor {key} is missing (expected {shape})");
        if (t.Shape != shape)
        {
            throw new ArgumentException($"{source}: classifier tensor {key} is {t.Shape}, expected {shape} (hidden size, xlora_size, "
                + $"experts × {(key.StartsWith("last", StringComparison.Ordinal) ? $"layers = n·Lx with L = {layerCount} adapted modules" : "…")})");
        }
        return t.DType == DType.F32 ? t : TensorScope.Forget(t.To(DType.F32));
    }
}

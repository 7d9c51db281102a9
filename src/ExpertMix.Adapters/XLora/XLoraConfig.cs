// Every X-LoRA knob (spec §2) with ExpertMix's defaults, the expert map in classifier column order, and validation.
namespace ExpertMix.Adapters.XLora;

/// <summary>
/// The configuration of an X-LoRA model: the gate's shape and activation, how its scalings are post-processed and
/// applied, and the experts (name → directory) in classifier column order. Defaults follow the original package and
/// PEFT's <c>XLoraConfig</c> (spec §2).
/// </summary>
public sealed record XLoraConfig
{
    /// <summary>H: the base model's hidden size (must match it).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>The base model id the gate was trained on (informational; a mismatch warns).</summary>
    public string? BaseModelId { get; init; }

    /// <summary>The experts, name → adapter directory, in classifier column order (user names are kept).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Adapters { get; init; }

    /// <summary>Softmax over the expert axis of the gate logits (default true).</summary>
    public bool EnableSoftmax { get; init; } = true;

    /// <summary>T: the gate computes softmax(logits / T); must be &gt; 0.</summary>
    public float SoftmaxTemperature { get; init; } = 1f;

    /// <summary>One scaling per adapted module (true) or one per expert broadcast to every module (false).</summary>
    public bool LayerwiseScalings { get; init; }

    /// <summary>k: per token and module keep only the k largest scalings (ties → lower expert index); null keeps all.</summary>
    public int? TopKLora { get; init; }

    /// <summary>After top-k, a softmax over the kept scalings per token (the others get 0).</summary>
    public bool EnableSoftmaxTopK { get; init; }

    /// <summary>d: number of Linear layers in the gate (1 = a single H → n·Lx Linear).</summary>
    public int XLoraDepth { get; init; } = 1;

    /// <summary>S: the hidden width of a gate with depth ≥ 2.</summary>
    public int XLoraSize { get; init; } = 2048;

    /// <summary>Whether the gate's hidden Linears are followed by ReLU and Dropout (false: a purely linear stack).</summary>
    public bool EnableReluAndDropout { get; init; } = true;

    /// <summary>Whether the gate's Linears have a bias.</summary>
    public bool UseBias { get; init; } = true;

    /// <summary>p: dropout after each hidden gate layer, in training (depth ≥ 2 with ReLU/Dropout on).</summary>
    public float XLoraDropoutP { get; init; } = 0.2f;

    /// <summary>Whether the experts train with the gate.</summary>
    public bool UseTrainableAdapters { get; init; }

    /// <summary>c: the weight of every expert in the scaling pass; null means 1/n. 0 makes that pass the base model.</summary>
    public float? ScalingPassValue { get; init; } = 0f;

    /// <summary>g: multiplies every expert's contribution in the real pass.</summary>
    public float GlobalScalingWeight { get; init; } = 1f;

    /// <summary>PEFT's base fields read from a PEFT-layout <c>adapter_config.json</c>, kept so a save writes them back (null otherwise).</summary>
    internal XLoraPeftFields? PeftFields { get; init; }

    /// <summary>n: the number of experts.</summary>
    public int ExpertCount => Adapters.Count;

    /// <summary>c resolved: <see cref="ScalingPassValue"/>, or 1/n when null.</summary>
    public float ResolvedScalingPassValue => ScalingPassValue ?? 1f / ExpertCount;

    /// <summary>The expert names in column order.</summary>
    public IReadOnlyList<string> AdapterNames => [.. Adapters.Select(a => a.Key)];

    /// <summary>Checks every knob; <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="ArgumentException">A knob out of range or a duplicated / empty expert name.</exception>
    public void Validate(string source = "X-LoRA config")
    {
        if (HiddenSize <= 0) throw new ArgumentException($"{source}: hidden_size must be positive (got {HiddenSize}); there is no default");
        if (Adapters.Count == 0) throw new ArgumentException($"{source}: adapters is empty; X-LoRA needs at least one expert");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in Adapters)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException($"{source}: an adapter has an empty name");
            if (!seen.Add(name)) throw new ArgumentException($"{source}: adapter '{name}' is listed twice");
        }
        if (!(SoftmaxTemperature > 0) || !float.IsFinite(SoftmaxTemperature)) throw new ArgumentException($"{source}: softmax_temperature must be > 0 (got {SoftmaxTemperature})");
        if (XLoraDepth < 1) throw new ArgumentException($"{source}: xlora_depth must be ≥ 1 (got {XLoraDepth})");
        if (XLoraDepth >= 2 && XLoraSize < 1) throw new ArgumentException($"{source}: xlora_size must be ≥ 1 (got {XLoraSize})");
        if (TopKLora is int k && (k < 1 || k > ExpertCount)) throw new ArgumentException($"{source}: top_k_lora must be in [1, {ExpertCount}] (got {k})");
        if (EnableSoftmaxTopK && TopKLora is null) throw new ArgumentException($"{source}: enable_softmax_topk needs top_k_lora");
        if (!(XLoraDropoutP >= 0 && XLoraDropoutP < 1)) throw new ArgumentException($"{source}: xlora_dropout_p must be in [0, 1) (got {XLoraDropoutP})");
        if (ScalingPassValue is float c && !float.IsFinite(c)) throw new ArgumentException($"{source}: scaling_pass_value must be finite (got {c})");
        if (!float.IsFinite(GlobalScalingWeight)) throw new ArgumentException($"{source}: global_scaling_weight must be finite (got {GlobalScalingWeight})");
    }

    /// <summary>Warnings for legal but questionable combinations (e.g. softmax-topk on top of softmax).</summary>
    public IReadOnlyList<string> Warnings()
    {
        var w = new List<string>();
        if (EnableSoftmaxTopK && EnableSoftmax) w.Add("enable_softmax_topk with enable_softmax: the kept scalings go through a second softmax (as in PEFT)");
        return w;
    }
}

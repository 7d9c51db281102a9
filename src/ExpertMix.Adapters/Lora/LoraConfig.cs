// adapter_config.json of a PEFT LoRA adapter: the hyper-parameters, target rules and per-module rank/alpha patterns.
using System.Text.RegularExpressions;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// A LoRA adapter's configuration as PEFT's <c>LoraConfig</c> (see docs: PEFT compatibility). Scaling per module is
/// s = α/r, or α/√r with <see cref="UseRsLora"/>, where r and α may be overridden per module by
/// <see cref="RankPattern"/>/<see cref="AlphaPattern"/> (key K matches module M when <c>(.*\.)?(K)$</c> matches M;
/// the first matching key wins).
/// </summary>
public sealed record LoraConfig
{
    /// <summary>r (PEFT default 8).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>α (PEFT default 8).</summary>
    public float Alpha { get; init; } = 8;

    /// <summary>rsLoRA: s = α/√r instead of α/r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>Dropout probability on the adapter branch input (training only).</summary>
    public float Dropout { get; init; }

    /// <summary>The modules to adapt.</summary>
    public required TargetModules TargetModules { get; init; }

    /// <summary>Modules excluded before targeting (same rules), or null.</summary>
    public TargetModules? ExcludeModules { get; init; }

    /// <summary>Only these block indices (captured by <c>.&lt;pattern&gt;.&lt;idx&gt;.</c>), or null for all.</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    /// <summary>The block-list name(s) for <see cref="LayersToTransform"/> (e.g. <c>layers</c>, <c>h</c>), or null for any.</summary>
    public IReadOnlyList<string>? LayersPattern { get; init; }

    /// <summary>Per-module rank overrides (ordered; first match wins).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> RankPattern { get; init; } = [];

    /// <summary>Per-module alpha overrides (ordered; first match wins).</summary>
    public IReadOnlyList<KeyValuePair<string, float>> AlphaPattern { get; init; } = [];

    /// <summary>PEFT <c>fan_in_fan_out</c> (true for GPT-2 Conv1D targets).</summary>
    public bool FanInFanOut { get; init; }

    /// <summary>Initialisation for new adapters.</summary>
    public LoraInit Init { get; init; } = LoraInit.Default;

    /// <summary><c>base_model_name_or_path</c>, or null.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary><c>revision</c>, or null.</summary>
    public string? Revision { get; init; }

    /// <summary>PEFT <c>task_type</c> (we write <c>CAUSAL_LM</c>).</summary>
    public string? TaskType { get; init; } = "CAUSAL_LM";

    /// <summary>r for <paramref name="modulePath"/> after <see cref="RankPattern"/>.</summary>
    public int RankFor(string modulePath) => Lookup(RankPattern, modulePath, Rank);

    /// <summary>α for <paramref name="modulePath"/> after <see cref="AlphaPattern"/>.</summary>
    public float AlphaFor(string modulePath) => Lookup(AlphaPattern, modulePath, Alpha);

    /// <summary>s = α/r or α/√r for <paramref name="modulePath"/>.</summary>
    public float ScalingFor(string modulePath)
    {
        int r = RankFor(modulePath);
        float alpha = AlphaFor(modulePath);
        return UseRsLora ? (float)(alpha / Math.Sqrt(r)) : alpha / r;
    }

    /// <summary>Whether the adapter attaches to <paramref name="modulePath"/> (exclusion, targets, layer restriction).</summary>
    public bool Targets(string modulePath, bool isOutputHead = false)
    {
        ArgumentNullException.ThrowIfNull(modulePath);
        if (ExcludeModules is { } ex && ex.Matches(modulePath, isOutputHead: false)) return false;
        if (!TargetModules.Matches(modulePath, isOutputHead)) return false;
        if (LayersToTransform is not { Count: > 0 } layers) return true;
        string names = LayersPattern is { Count: > 0 } p ? string.Join("|", p.Select(Regex.Escape)) : "[^.]+";
        var m = Regex.Match(modulePath, $@"\.(?:{names})\.(\d+)\.", RegexOptions.CultureInvariant);
        return m.Success && layers.Contains(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Checks the values a LoRA adapter needs.</summary>
    /// <exception cref="ArgumentException">Non-positive rank, non-finite alpha, dropout outside [0, 1).</exception>
    public LoraConfig Validate()
    {
        if (Rank < 1) throw new ArgumentException($"LoRA rank r must be ≥ 1 (got {Rank})");
        if (!float.IsFinite(Alpha)) throw new ArgumentException($"lora_alpha must be finite (got {Alpha})");
        if (Dropout is < 0 or >= 1 || float.IsNaN(Dropout)) throw new ArgumentException($"lora_dropout must be in [0, 1) (got {Dropout})");
        foreach (var (k, r) in RankPattern)
        {
            if (r < 1) throw new ArgumentException($"rank_pattern '{k}': rank must be ≥ 1 (got {r})");
        }
        return this;
    }

    private static T Lookup<T>(IReadOnlyList<KeyValuePair<string, T>> pattern, string modulePath, T fallback)
    {
        foreach (var (key, value) in pattern)
        {
            if (Regex.IsMatch(modulePath, $@"^(.*\.)?({key})$", RegexOptions.CultureInvariant)) return value;
        }
        return fallback;
    }
}

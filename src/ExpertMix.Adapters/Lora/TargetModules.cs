// PEFT's target_modules rules: a suffix list, a full-match regex, or "all-linear".
using System.Text.RegularExpressions;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// Which linear modules an adapter attaches to, matched exactly as PEFT does: a list entry <c>t</c> matches a module
/// name equal to <c>t</c> or ending in <c>.t</c>; a regex must match the whole name; <c>all-linear</c> selects every
/// linear except the output head (<c>lm_head</c>).
/// </summary>
public sealed class TargetModules
{
    private TargetModules(IReadOnlyList<string>? names, string? regex, bool allLinear)
    {
        Names = names;
        Regex = regex;
        IsAllLinear = allLinear;
    }

    /// <summary>The suffix list, or null.</summary>
    public IReadOnlyList<string>? Names { get; }

    /// <summary>The full-match regex, or null.</summary>
    public string? Regex { get; }

    /// <summary>Whether this is <c>all-linear</c>.</summary>
    public bool IsAllLinear { get; }

    /// <summary>A suffix list (PEFT list form).</summary>
    public static TargetModules List(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (list.Length == 0) throw new ArgumentException("target module list is empty");
        return new TargetModules(list, null, false);
    }

    /// <summary>A regex that must match the whole module name (PEFT string form).</summary>
    public static TargetModules FullMatch(string regex)
    {
        ArgumentNullException.ThrowIfNull(regex);
        _ = new Regex(regex); // validate now, with the regex named in the error
        return new TargetModules(null, regex, false);
    }

    /// <summary><c>all-linear</c>.</summary>
    public static TargetModules AllLinear { get; } = new(null, null, true);

    /// <summary>
    /// PEFT's default targets for a Hugging Face <c>model_type</c> (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    /// for the architectures we load): <c>c_attn</c> for gpt2, <c>q_proj</c> and <c>v_proj</c> otherwise.
    /// </summary>
    public static TargetModules PeftDefault(string modelType) => modelType switch
    {
        "gpt2" => List(["c_attn"]),
        _ => List(["q_proj", "v_proj"]),
    };

    /// <summary>Parses a CLI value: <c>all-linear</c>, <c>re:REGEX</c>, or a comma-separated suffix list.</summary>
    public static TargetModules Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "all-linear") return AllLinear;
        if (text.StartsWith("re:", StringComparison.Ordinal)) return FullMatch(text[3..]);
        return List(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Whether <paramref name="modulePath"/> is selected; <paramref name="isOutputHead"/> excludes it from all-linear.</summary>
    public bool Matches(string modulePath, bool isOutputHead = false)
    {
        ArgumentNullException.ThrowIfNull(modulePath);
        if (IsAllLinear) return !isOutputHead;
        if (Regex is { } re) return System.Text.RegularExpressions.Regex.IsMatch(modulePath, $"^(?:{re})$", RegexOptions.CultureInvariant);
        foreach (var t in Names!)
        {
            if (modulePath == t || modulePath.EndsWith("." + t, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => IsAllLinear ? "all-linear" : Regex is { } re ? $"re:{re}" : string.Join(",", Names!);
}

// Which projections SVF decomposes: module-name suffixes, with per-architecture MLP defaults.
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Svf;

/// <summary>
/// The SVF target projections as dotted module-name suffixes: a module path matches when it equals a suffix or ends
/// with <c>"." + suffix</c>. <see cref="Mlp"/> (the reference's choice) is
/// <c>gate_proj, up_proj, down_proj</c> for Llama-family models and <c>mlp.c_fc, mlp.c_proj</c> for GPT-2 (its MLP
/// projections; a bare <c>c_proj</c> would also hit the attention output). The LM head is never a target.
/// </summary>
/// <param name="Suffixes">Module-name suffixes (e.g. <c>gate_proj</c>, <c>mlp.c_fc</c>).</param>
public sealed record SvfTargets(IReadOnlyList<string> Suffixes)
{
    /// <summary>The MLP projections of every supported architecture (spec §2 default).</summary>
    public static SvfTargets Mlp { get; } = new(["gate_proj", "up_proj", "down_proj", "mlp.c_fc", "mlp.c_proj"]);

    /// <summary>The paper's "attention" set: q and v projections (GPT-2: its fused <c>attn.c_attn</c>).</summary>
    public static SvfTargets Attention { get; } = new(["q_proj", "v_proj", "attn.c_attn"]);

    /// <summary>MLP and attention (<see cref="Mlp"/> ∪ <see cref="Attention"/>).</summary>
    public static SvfTargets MlpAndAttention { get; } = new([.. Mlp.Suffixes, .. Attention.Suffixes]);

    /// <summary>Parses <c>mlp</c>, <c>attention</c>, <c>mlp+attention</c> or a comma-separated suffix list.</summary>
    public static SvfTargets Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        return text.Trim() switch
        {
            "mlp" => Mlp,
            "attention" => Attention,
            "mlp+attention" => MlpAndAttention,
            var t => new SvfTargets(t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
        };
    }

    /// <summary>Whether <paramref name="modulePath"/> is a target.</summary>
    public bool Matches(string modulePath)
    {
        ArgumentNullException.ThrowIfNull(modulePath);
        return Suffixes.Any(s => modulePath == s || modulePath.EndsWith("." + s, StringComparison.Ordinal));
    }

    /// <summary>The target slots of <paramref name="model"/> in module order (the LM head excluded).</summary>
    /// <exception cref="ArgumentException">Nothing matches: the message lists the model's projection names.</exception>
    public IReadOnlyList<LinearSlot> Resolve(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var head = model.Linears[^1].ModulePath;
        var hits = model.Linears.Where(s => s.ModulePath != head && Matches(s.ModulePath)).ToList();
        if (hits.Count == 0)
        {
            var names = model.Linears.Select(s => s.ModulePath[(s.ModulePath.LastIndexOf('.') + 1)..]).Distinct();
            throw new ArgumentException($"SVF targets {this} match no projection of this {model.Info.Architecture}; its projections are named {string.Join(", ", names)}");
        }
        return hits;
    }

    /// <summary>The comma-separated suffixes.</summary>
    public override string ToString() => string.Join(",", Suffixes);

    /// <summary>The frozen base weight W [out, in] of a projection (unwrapping SVF and LoRA wrappers); a view, caller disposes.</summary>
    /// <exception cref="NotSupportedException">A projection kind without a dense weight.</exception>
    internal static Tensor BaseWeight(ILinearLike module) => module switch
    {
        Linear l => l.Weight.Detach(),
        Conv1DLinear c => c.Weight.Detach(),
        SvfLinear s => s.BaseWeight.Detach(),
        Lora.LoraLinear l => BaseWeight(l.Base),
        _ => throw new NotSupportedException($"{module.ModulePath}: SVF needs a Linear or Conv1D projection, not {module.GetType().Name}"),
    };
}

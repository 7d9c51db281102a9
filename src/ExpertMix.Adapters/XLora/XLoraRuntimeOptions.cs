// Runtime options of an X-LoRA model that are not part of its checkpoint (spec §2, last paragraph).
namespace ExpertMix.Adapters.XLora;

/// <summary>How cached generation runs the two passes.</summary>
public enum XLoraCacheMode
{
    /// <summary>Two KV caches (scaling pass and real pass): a new token costs about two base decode steps; exact.</summary>
    Dual,

    /// <summary>
    /// No cache, as the references: every step re-runs both passes over the whole sequence (O((P+T)²)); kept as the
    /// baseline the dual cache is measured against.
    /// </summary>
    None,
}

/// <summary>Options that change how an X-LoRA model runs, not what it is.</summary>
public sealed record XLoraRuntimeOptions
{
    /// <summary>Dual cache (default) or full recomputation.</summary>
    public XLoraCacheMode Cache { get; init; } = XLoraCacheMode.Dual;

    /// <summary>
    /// null (default): fresh scalings for every token. k: after k cached decode steps of a sequence, keep its last
    /// scalings and skip the scaling pass and gate (mistral.rs's non-granular mode). An approximation: it equals
    /// per-token X-LoRA only for the first k generated tokens.
    /// </summary>
    public int? FreezeScalingsAfter { get; init; }

    /// <summary>Fused rank-space kernel (default) or the per-expert reference loop.</summary>
    public XLoraKernel Kernel { get; init; } = XLoraKernel.Fused;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative freeze point.</exception>
    public void Validate()
    {
        if (FreezeScalingsAfter is < 0) throw new ArgumentOutOfRangeException(nameof(FreezeScalingsAfter), FreezeScalingsAfter, "freeze-after must be ≥ 0 tokens");
    }
}

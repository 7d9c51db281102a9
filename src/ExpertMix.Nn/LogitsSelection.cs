// Which positions a causal LM computes logits for.
namespace ExpertMix.Nn;

/// <summary>Positions whose logits a causal LM forward returns.</summary>
public enum LogitsSelection
{
    /// <summary>Every position: logits [B, T, V].</summary>
    All,

    /// <summary>Only the last position of every sequence: logits [B, 1, V] (generation; skips T−1 lm_head rows).</summary>
    LastPosition,
}

// What a causal LM forward returns: next-token logits, or the final hidden state that feeds the LM head.
namespace ExpertMix.Nn;

/// <summary>The output of a causal LM forward (HF's <c>logits</c> or <c>hidden_states[-1]</c>).</summary>
public enum ModelOutput
{
    /// <summary>Logits [B, T|1, V] (the LM head runs).</summary>
    Logits,

    /// <summary>
    /// The last hidden state [B, T|1, C] after the final norm, i.e. the LM head's input (HF's
    /// <c>hidden_states[-1]</c>); the LM head is skipped. X-LoRA's scaling pass reads this.
    /// </summary>
    LastHiddenState,
}

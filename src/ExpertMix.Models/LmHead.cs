// The lm_head projection every causal LM ends with: tied to the token embedding or its own [V, C] weight.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>Builds and runs the <c>lm_head</c> slot shared by every architecture.</summary>
internal static class LmHead
{
    /// <summary>
    /// <c>lm_head</c> as a slot: with <paramref name="tied"/> a view of <paramref name="embedding"/> [V, C] (a stored
    /// <c>lm_head.weight</c> is declared consumed, as some tied checkpoints still carry it), else the checkpoint's own
    /// <c>lm_head.weight</c> [V, C].
    /// </summary>
    public static LinearSlot Create(WeightSource ws, Tensor embedding, bool tied, int vocabSize, int hiddenSize)
    {
        if (!tied) return new LinearSlot(new Linear("lm_head", ws.Get("lm_head.weight", vocabSize, hiddenSize))); // [V, C]
        ws.DeclareConsumed("lm_head.weight");
        return new LinearSlot(new Linear("lm_head", embedding) { IsTied = true });                            // W = embedding [V, C]
    }

    /// <summary>
    /// logits = lm_head(base(ids)); the hidden state is released unless the graph is kept; tapped as "logits". With
    /// <see cref="ModelOutput.LastHiddenState"/> the head is skipped and the hidden state itself is returned.
    /// </summary>
    public static Tensor Forward(ICausalLm model, LinearSlot head, Func<Tensor> hidden, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        GarbageBound.Step();                      // a long decode's short-lived objects stay within Engine.GarbageBudgetBytes
        bool keepGraph = ForwardScope.KeepsGraph(ctx, model);
        var h = hidden();                         // [B, T|1, C]
        if (ctx.Output == ModelOutput.LastHiddenState) return h;
        var logits = head.Forward(h, ctx);        // [B, T|1, V]
        ForwardScope.Release(keepGraph, h);
        ctx.Tap("logits", -1, logits);
        return logits;
    }
}

// Prefill of a long prompt in chunks through the KV cache: the same last-position logits with a fraction of the activation memory.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>
/// Runs a cached, last-position forward of [B, T] ids as ⌈T / chunk⌉ forwards of at most <c>chunk</c> tokens each. Every
/// chunk attends to the cache filled by the previous ones, so the result equals one forward of all T tokens up to
/// fp32 reassociation, while activations scale with the chunk instead of T (llama.cpp's micro-batches).
/// </summary>
public static class ChunkedPrefill
{
    /// <summary>
    /// The default chunk, 256 tokens. Measured on the NativeAOT build at T = 512 (docs/benchmarks.md): against one forward,
    /// 256-token chunks lower peak memory ÷ (weights + KV cache) from 1.22 to 1.18 (GPT-2-small bf16) and 1.23 to 1.17
    /// (Llama-110M bf16) for 10–15% of prefill speed; chunks of 320 or 384 do not lower the peak (pool bucket sizes) and
    /// 128 costs ~20%. Since the GEMM packs op(B) just in time, the speed cost of 256-token chunks no longer stands out
    /// of the run-to-run noise (JIT build, three alternating rounds: 743–1006 tok/s in one forward against 756–1043 in
    /// chunks, GPT-2-small bf16), while the peak still drops (1.34 → 1.31 on the JIT build).
    /// </summary>
    public const int DefaultChunk = 256;

    /// <summary>
    /// Last-position logits [B, 1, V] for <paramref name="inputIds"/> [B, T] appended to <c>ctx.Cache</c>.
    /// <c>ctx.AttentionMask</c>, when given, covers [B, PastLength + T] and is sliced per chunk; explicit position ids
    /// are not supported here (they are derived per chunk from the mask or the cache length).
    /// </summary>
    /// <exception cref="ArgumentException">No cache, not last-position logits, explicit position ids, or chunk &lt; 1.</exception>
    public static Tensor Forward(ICausalLm model, Tensor inputIds, ForwardContext ctx, int chunk = DefaultChunk)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.Cache is null || ctx.Logits != LogitsSelection.LastPosition || ctx.PositionIds is not null || chunk < 1)
        {
            throw new ArgumentException("chunked prefill needs a KV cache, last-position logits, no explicit position ids and chunk ≥ 1", nameof(ctx));
        }
        int t = inputIds.Size(1);
        if (t <= chunk) return model.Forward(inputIds, ctx);
        int past = ctx.PastLength;
        Tensor? logits = null;
        for (int start = 0; start < t; start += chunk)
        {
            int length = Math.Min(chunk, t - start);
            logits?.Dispose();
            using var scope = TensorScope.Begin();
            using var ids = inputIds.Narrow(1, start, length).Contiguous();                  // [B, chunk]
            using var mask = ctx.AttentionMask?.Narrow(1, 0, past + start + length).Contiguous(); // [B, S so far]
            logits = TensorScope.Forget(model.Forward(ids, ctx.WithInputs(mask, null)));      // [B, 1, V]
        }
        return logits!;
    }
}

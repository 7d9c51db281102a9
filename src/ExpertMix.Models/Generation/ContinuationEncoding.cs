// lm-eval-harness's context/continuation tokenization for log-likelihood requests, over any encoder.
namespace ExpertMix.Models.Generation;

/// <summary>
/// Tokenizes (context, continuation) pairs the way lm-eval-harness's <c>_encode_pair</c> does, given any
/// <c>encode</c> function (no special tokens added by it):
/// <list type="number">
/// <item>trailing whitespace of the context moves to the start of the continuation;</item>
/// <item>whole = encode(context + continuation), contextIds = encode(context), continuationIds = whole[len(contextIds)..]
/// (so merges across the boundary follow the whole text);</item>
/// <item>an empty context is replaced by one start token (lm-eval uses the EOT/BOS id) and the continuation is
/// encoded alone.</item>
/// </list>
/// Multiple-choice continuations are <see cref="TargetDelimiter"/> + choice, as in lm-eval's default task config.
/// </summary>
internal static class ContinuationEncoding
{
    /// <summary>lm-eval's default <c>target_delimiter</c> between a context and a choice.</summary>
    public const string TargetDelimiter = " ";

    /// <summary>Context and continuation ids per lm-eval's <c>_encode_pair</c> (see the class remarks).</summary>
    /// <exception cref="ArgumentException">The continuation is empty or encodes to no tokens, or the context is empty and no start id is given.</exception>
    public static (int[] Context, int[] Continuation) EncodePair(string context, string continuation, Func<string, IReadOnlyList<int>> encode, int? emptyContextId = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        ArgumentNullException.ThrowIfNull(encode);
        if (continuation.Length == 0) throw new ArgumentException("ContinuationEncoding: the continuation is empty; there is nothing to score", nameof(continuation));
        int[] ctx, cont;
        if (context.Length == 0)
        {
            if (emptyContextId is not int start) throw new ArgumentException("ContinuationEncoding: the context is empty; pass emptyContextId (the BOS/EOS id) to condition on", nameof(emptyContextId));
            ctx = [start];
            cont = [.. encode(continuation)];
        }
        else
        {
            string trimmed = context.TrimEnd();
            int spaces = context.Length - trimmed.Length;
            if (spaces > 0)
            {
                continuation = context[^spaces..] + continuation;
                context = trimmed;
            }
            var whole = encode(context + continuation);
            ctx = [.. encode(context)];
            cont = whole.Count > ctx.Length ? [.. whole.Skip(ctx.Length)] : [];
        }
        if (cont.Length == 0) throw new ArgumentException($"ContinuationEncoding: continuation \"{continuation}\" encodes to no tokens after the context", nameof(continuation));
        return (ctx, cont);
    }

    /// <summary>
    /// Joins context and continuation ids and keeps the last maxLength + 1 tokens (lm-eval:
    /// <c>(context + continuation)[-(max_length + 1):]</c>, whose first maxLength tokens are the model input).
    /// </summary>
    /// <exception cref="ArgumentException">The continuation is empty or does not fit: it needs continuation.Length ≤ maxLength and at least one conditioning token.</exception>
    /// <exception cref="ArgumentOutOfRangeException">maxLength &lt; 1.</exception>
    public static ScoringSequence Join(IReadOnlyList<int> context, IReadOnlyList<int> continuation, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (continuation.Count == 0) throw new ArgumentException("ContinuationEncoding.Join: the continuation has no tokens", nameof(continuation));
        if (context.Count == 0) throw new ArgumentException("ContinuationEncoding.Join: the context has no tokens (the first continuation token needs a prediction)", nameof(context));
        if (continuation.Count > maxLength)
        {
            throw new ArgumentException($"ContinuationEncoding.Join: the continuation has {continuation.Count} tokens, more than the maximum length {maxLength}", nameof(continuation));
        }
        int keepContext = Math.Min(context.Count, maxLength + 1 - continuation.Count);
        var ids = new int[keepContext + continuation.Count];
        for (int i = 0; i < keepContext; i++) ids[i] = context[context.Count - keepContext + i];
        for (int i = 0; i < continuation.Count; i++) ids[keepContext + i] = continuation[i];
        return new ScoringSequence(ids, keepContext);
    }
}

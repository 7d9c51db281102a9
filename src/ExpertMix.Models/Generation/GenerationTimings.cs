// Wall-clock timings of one generation call (prefill and KV-cached decode).
namespace ExpertMix.Models.Generation;

/// <summary>Timings of one batched generation call.</summary>
/// <param name="PrefillTokens">Prompt tokens processed in the prefill forward (B × padded length).</param>
/// <param name="PrefillMs">Milliseconds of the prefill forward (including sampling the first token).</param>
/// <param name="DecodeSteps">One-token forward steps after the prefill.</param>
/// <param name="DecodeMs">Milliseconds of all decode steps.</param>
public sealed record GenerationTimings(int PrefillTokens, double PrefillMs, int DecodeSteps, double DecodeMs)
{
    /// <summary>Prefill tokens per second.</summary>
    public double PrefillTokensPerSecond => PrefillMs > 0 ? PrefillTokens / (PrefillMs / 1000) : 0;

    /// <summary>Decode steps per second (tokens per second per sequence).</summary>
    public double DecodeStepsPerSecond => DecodeMs > 0 ? DecodeSteps / (DecodeMs / 1000) : 0;
}

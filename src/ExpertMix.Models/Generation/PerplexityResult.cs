// Aggregate negative log-likelihood and perplexity over scored tokens.
namespace ExpertMix.Models.Generation;

/// <summary>
/// Token-weighted scoring summary: <paramref name="Nll"/> = −(1/N) Σ log p over the <paramref name="Tokens"/> = N
/// counted tokens, <paramref name="Perplexity"/> = exp(<paramref name="Nll"/>).
/// </summary>
/// <param name="Tokens">Number of counted (unmasked) tokens.</param>
/// <param name="Nll">Mean negative log-likelihood in nats per token.</param>
/// <param name="Perplexity">exp(Nll).</param>
public sealed record PerplexityResult(long Tokens, double Nll, double Perplexity);

// One scored token: its id, its log-probability under the model, and whether it was the model's argmax.
namespace ExpertMix.Models.Generation;

/// <summary>A token <paramref name="Id"/> with log p(Id | prefix) = <paramref name="LogProb"/> (natural log, ≤ 0).</summary>
/// <param name="Id">The token id.</param>
/// <param name="LogProb">log-softmax of the logits row at <paramref name="Id"/>.</param>
/// <param name="IsArgMax">True when <paramref name="Id"/> is the row's argmax (ties → lowest id), i.e. greedy decoding would pick it (lm-eval's <c>is_greedy</c>).</param>
public readonly record struct ScoredToken(int Id, float LogProb, bool IsArgMax);

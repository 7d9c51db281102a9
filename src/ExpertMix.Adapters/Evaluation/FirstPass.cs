// The extension point for two-pass (Transformer²) evaluation: a first pass that picks the weights for the second.
namespace ExpertMix.Adapters.Evaluation;

/// <summary>What a first pass decided for one prompt.</summary>
/// <param name="Key">
/// The decision (e.g. the dispatched category "math", or "base"); prompts with the same key share the same adapted
/// weights, so the harness batches their second passes together.
/// </param>
/// <param name="Payload">Strategy-specific data (e.g. the mixing coefficients), handed back to <see cref="IFirstPass.Apply"/>.</param>
internal sealed record FirstPassDecision(string Key, object? Payload = null);

/// <summary>
/// A first pass (Transformer² strategy): <see cref="Decide"/> runs once per prompt and is timed as "first pass";
/// <see cref="Apply"/> installs the weights for a decision until the returned handle is disposed, and the harness
/// generates the answers (the "second pass") in between. Without a first pass the first-pass time is 0.
/// </summary>
internal interface IFirstPass
{
    /// <summary>Examines <paramref name="prompt"/> (e.g. classifies it with the model) and returns the decision.</summary>
    FirstPassDecision Decide(string prompt);

    /// <summary>Installs the weights for <paramref name="decision"/>; disposing the result restores the base weights.</summary>
    IDisposable Apply(FirstPassDecision decision);
}

/// <summary>A first pass from two delegates (handy for tests and simple strategies).</summary>
/// <param name="decide">The decision per prompt.</param>
/// <param name="apply">Installs a decision's weights (null: nothing to install).</param>
internal sealed class DelegateFirstPass(Func<string, FirstPassDecision> decide, Func<FirstPassDecision, IDisposable>? apply = null) : IFirstPass
{
    /// <inheritdoc/>
    public FirstPassDecision Decide(string prompt) => decide(prompt);

    /// <inheritdoc/>
    public IDisposable Apply(FirstPassDecision decision) => apply?.Invoke(decision) ?? NoOp.Instance;

    private sealed class NoOp : IDisposable
    {
        public static readonly NoOp Instance = new();

        public void Dispose()
        {
        }
    }
}

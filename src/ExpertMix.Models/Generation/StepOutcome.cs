// Result of feeding one generated token to StopCriteria.
namespace ExpertMix.Models.Generation;

/// <summary>Text that may be shown after one generated token, and the finish reason once the sequence has ended (null while it continues).</summary>
/// <param name="Text">Text safe to emit now (possibly empty).</param>
/// <param name="Finish">Why the sequence ended, or null when generation continues.</param>
internal readonly record struct StepOutcome(string Text, FinishReason? Finish);

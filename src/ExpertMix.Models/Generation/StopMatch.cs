// Result of feeding one streamed text piece to a StopStringMatcher.
namespace ExpertMix.Models.Generation;

/// <summary>
/// What a <see cref="StopStringMatcher"/> lets through for one piece: <paramref name="Text"/> is safe to show now
/// (never part of a stop string); <paramref name="Stopped"/> is true once a stop string has been seen, after which
/// generation should end.
/// </summary>
/// <param name="Text">Text to emit now (possibly empty).</param>
/// <param name="Stopped">True when a stop string completed in this or an earlier piece.</param>
internal readonly record struct StopMatch(string Text, bool Stopped);

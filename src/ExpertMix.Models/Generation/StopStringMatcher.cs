// Streaming stop-string detection: emits text as soon as it cannot be the start of a stop string, never the stop string itself.
namespace ExpertMix.Models.Generation;

/// <summary>
/// Consumes generated text piece by piece and decides what may be shown. Semantics (OpenAI <c>stop</c>): the output
/// ends right before the earliest occurrence of any stop string, which is itself never emitted. A suffix of the text
/// that could still grow into a stop string is held back until it is decided; a trailing high surrogate is held back
/// too, so emitted pieces never split a UTF-16 surrogate pair. Matching is ordinal (no normalisation).
/// Held text is at most (longest stop string − 1) characters, plus one for a surrogate.
/// </summary>
internal sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private string _held = "";

    /// <summary>Creates a matcher for <paramref name="stopStrings"/> (may be empty: then text passes straight through).</summary>
    /// <exception cref="ArgumentException">A stop string is null or empty.</exception>
    public StopStringMatcher(IEnumerable<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        _stops = [.. stopStrings];
        for (int i = 0; i < _stops.Length; i++)
        {
            if (string.IsNullOrEmpty(_stops[i])) throw new ArgumentException($"StopStringMatcher: stop string {i} is null or empty", nameof(stopStrings));
        }
    }

    /// <summary>True once a stop string has been matched.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop string that ended the text (the earliest occurrence; on equal starts the first listed), or null.</summary>
    public string? MatchedStopString { get; private set; }

    /// <summary>The text currently held back (a possible stop-string prefix).</summary>
    public string HeldText => _held;

    /// <summary>
    /// Feeds the next decoded piece. Returns the text that is safe to emit now and whether generation must stop.
    /// After a stop every further call returns ("", true).
    /// </summary>
    public StopMatch Push(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (Stopped) return new StopMatch("", true);
        string pending = _held.Length == 0 ? piece : _held + piece;

        int best = -1;
        foreach (var stop in _stops)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best))
            {
                best = at;
                MatchedStopString = stop;
            }
        }
        if (best >= 0)
        {
            Stopped = true;
            _held = "";
            return new StopMatch(pending[..best], true);
        }

        int hold = 0;
        foreach (var stop in _stops)
        {
            for (int len = Math.Min(stop.Length - 1, pending.Length); len > hold; len--)
            {
                if (pending.AsSpan(pending.Length - len).SequenceEqual(stop.AsSpan(0, len)))
                {
                    hold = len;
                    break;
                }
            }
        }
        int emit = pending.Length - hold;
        if (emit > 0 && char.IsHighSurrogate(pending[emit - 1])) emit--;
        _held = pending[emit..];
        return new StopMatch(pending[..emit], false);
    }

    /// <summary>Ends the stream (EOS or the token limit): returns the held-back text, which can no longer become a stop string, and clears it. Empty after a stop.</summary>
    public string Flush()
    {
        string rest = _held;
        _held = "";
        return rest;
    }
}

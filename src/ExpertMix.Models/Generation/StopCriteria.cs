// Per-sequence stop logic: EOS ids, stop strings (via StopStringMatcher) and the new-token limit, with the text to stream.
namespace ExpertMix.Models.Generation;

/// <summary>
/// Decides, token by token, what text a sequence may stream and when it ends. For each generated token (in order):
/// <list type="number">
/// <item>an id in <see cref="EosIds"/> ends the sequence with <see cref="FinishReason.Eos"/>; its text is not emitted,
/// and any held-back text is released (it can no longer become a stop string);</item>
/// <item>otherwise its decoded piece goes through a <see cref="StopStringMatcher"/>; a completed stop string ends the
/// sequence with <see cref="FinishReason.StopString"/> and the output stops right before it;</item>
/// <item>when <see cref="GenerationOptions.MaxNewTokens"/> tokens have been generated (the EOS token counts, as in HF)
/// the sequence ends with <see cref="FinishReason.MaxTokens"/> and held-back text is released.</item>
/// </list>
/// </summary>
internal sealed class StopCriteria
{
    private readonly HashSet<int> _eos;
    private readonly StopStringMatcher _matcher;
    private readonly int _maxNewTokens;

    /// <summary>
    /// Creates the criteria for one sequence: EOS ids come from <see cref="GenerationOptions.EosIds"/> when set, else
    /// from <paramref name="modelEosIds"/> (the model's generation config; may be empty).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (see <see cref="GenerationOptions.Validate"/>).</exception>
    /// <exception cref="ArgumentException">Options are inconsistent, or a model EOS id is negative.</exception>
    public StopCriteria(GenerationOptions options, IReadOnlyList<int> modelEosIds)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(modelEosIds);
        options.Validate();
        var eos = options.EosIds ?? modelEosIds;
        for (int i = 0; i < eos.Count; i++)
        {
            if (eos[i] < 0) throw new ArgumentException($"StopCriteria: EOS id {eos[i]} (index {i}) is negative", nameof(modelEosIds));
        }
        EosIds = [.. eos];
        _eos = [.. eos];
        _matcher = new StopStringMatcher(options.StopStrings);
        _maxNewTokens = options.MaxNewTokens;
    }

    /// <summary>The EOS ids in effect.</summary>
    public IReadOnlyList<int> EosIds { get; }

    /// <summary>Tokens fed so far.</summary>
    public int Generated { get; private set; }

    /// <summary>Why the sequence ended, or null while it continues.</summary>
    public FinishReason? Finish { get; private set; }

    /// <summary>True once the sequence has ended.</summary>
    public bool IsFinished => Finish is not null;

    /// <summary>True when <paramref name="id"/> is one of the EOS ids.</summary>
    public bool IsEos(int id) => _eos.Contains(id);

    /// <summary>
    /// Feeds the next generated token <paramref name="id"/> and its decoded text <paramref name="piece"/> (the
    /// incremental detokenizer's output for it; may be empty). Returns the text to stream now and the finish reason if
    /// the sequence ended with this token.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sequence has already finished.</exception>
    public StepOutcome Step(int id, string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (Finish is { } done) throw new InvalidOperationException($"StopCriteria: the sequence already finished ({done}) after {Generated} tokens");
        Generated++;
        if (_eos.Contains(id)) return End(FinishReason.Eos, _matcher.Flush());
        var m = _matcher.Push(piece);
        if (m.Stopped) return End(FinishReason.StopString, m.Text);
        if (Generated >= _maxNewTokens) return End(FinishReason.MaxTokens, m.Text + _matcher.Flush());
        return new StepOutcome(m.Text, null);
    }

    /// <summary>The stop string that ended the sequence, when <see cref="Finish"/> is <see cref="FinishReason.StopString"/>.</summary>
    public string? MatchedStopString => _matcher.MatchedStopString;

    private StepOutcome End(FinishReason reason, string text)
    {
        Finish = reason;
        return new StepOutcome(text, reason);
    }
}

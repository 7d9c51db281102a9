// Incremental detokenization for streaming generation: emits text as soon as it is complete, holding back partial
// UTF-8 / byte-fallback sequences (which would decode to U+FFFD) until the following tokens complete them.
using System.Text;

namespace ExpertMix.Models.Tokenization;

/// <summary>
/// Feeds ids one at a time and returns the newly completed text. Uses a sliding window (as text-generation-inference
/// does): with <c>p</c> = start of the last emitted token window and <c>r</c> = end of what has been emitted,
/// <c>delta = Decode(ids[p..]) − Decode(ids[p..r])</c>, emitted only when it is non-empty, the window decode extends
/// the previous one, and it does not end in U+FFFD. Decoding only a window keeps each step O(window), and decoder
/// steps that look at the start of the text (Strip, Metaspace) act the same on both window decodes.
/// </summary>
/// <remarks>
/// The concatenation of every <see cref="Push"/> result and <see cref="Flush"/> equals
/// <see cref="Tokenizer.Decode"/> of all ids whenever the ids decode to valid text; for byte-fallback runs that are
/// invalid UTF-8 the full decode may replace already-emitted bytes with U+FFFD, which a stream cannot take back.
/// Not thread-safe: one instance per generation stream.
/// </remarks>
public sealed class StreamingDecoder
{
    private const int MaxHeldTokens = 8;

    private readonly Tokenizer _tokenizer;
    private readonly SkipSpecial _mode;
    private readonly List<int> _ids = [];
    private int _prefixOffset;
    private int _readOffset;
    private readonly StringBuilder _emitted = new();

    /// <summary>Creates a decoder over <paramref name="tokenizer"/>; <paramref name="mode"/> as in <see cref="Tokenizer.Decode"/>.</summary>
    public StreamingDecoder(Tokenizer tokenizer, SkipSpecial mode)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _mode = mode;
    }

    /// <summary>All ids fed so far.</summary>
    public IReadOnlyList<int> Ids => _ids;

    /// <summary>Adds <paramref name="id"/>; returns the text completed by it ("" while a multi-byte character is incomplete).</summary>
    public string Push(int id)
    {
        _ids.Add(id);
        return Advance(force: _ids.Count - _readOffset > MaxHeldTokens);
    }

    /// <summary>Returns whatever is still held back (possibly containing U+FFFD for bytes that never completed).</summary>
    public string Flush()
    {
        string rest = Advance(force: true);
        if (rest.Length > 0 || _readOffset == _ids.Count) return rest;
        // A decoder rewrote text inside the window: fall back to the full decode when it extends what was emitted.
        string full = _tokenizer.Decode(_ids, _mode);
        if (!full.StartsWith(_emitted.ToString(), StringComparison.Ordinal)) return "";
        rest = full[_emitted.Length..];
        _emitted.Append(rest);
        _prefixOffset = _readOffset = _ids.Count;
        return rest;
    }

    /// <summary>Forgets all ids (start a new stream).</summary>
    public void Reset()
    {
        _ids.Clear();
        _emitted.Clear();
        _prefixOffset = 0;
        _readOffset = 0;
    }

    private string Advance(bool force)
    {
        if (_readOffset == _ids.Count) return "";
        var window = _ids.GetRange(_prefixOffset, _ids.Count - _prefixOffset);
        string prefixText = _tokenizer.Decode(window.GetRange(0, _readOffset - _prefixOffset), _mode);
        string newText = _tokenizer.Decode(window, _mode);
        // Nothing new yet (e.g. a skipped special token), or a decoder that rewrote the window's earlier text.
        if (newText.Length <= prefixText.Length || !newText.StartsWith(prefixText, StringComparison.Ordinal)) return "";
        if (!force && newText[^1] == '\uFFFD') return "";
        string delta = newText[prefixText.Length..];
        _prefixOffset = _readOffset;
        _readOffset = _ids.Count;
        _emitted.Append(delta);
        return delta;
    }

    /// <summary>Decodes <paramref name="ids"/> through a stream (Push each, then Flush) and concatenates the pieces.</summary>
    internal static string StreamAll(Tokenizer tokenizer, IEnumerable<int> ids, SkipSpecial mode, List<string>? pieces = null)
    {
        var d = new StreamingDecoder(tokenizer, mode);
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            string s = d.Push(id);
            pieces?.Add(s);
            sb.Append(s);
        }
        string rest = d.Flush();
        pieces?.Add(rest);
        return sb.Append(rest).ToString();
    }
}

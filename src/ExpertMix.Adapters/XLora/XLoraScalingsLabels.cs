// Names for the axes of logged X-LoRA scalings: module paths (ℓ), adapter names (i) and, optionally, token text.
using System.Globalization;
using System.Text;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// Labels for a list of <see cref="XLoraScalingsEntry"/>: <paramref name="Modules"/> are the L wrapped module paths in
/// gate index order (<see cref="XLoraModel.Layers"/>), <paramref name="Adapters"/> the n expert names in column order
/// (<see cref="XLoraConfig.AdapterNames"/>). <paramref name="TokenTexts"/>, when given, has one array per entry laid
/// out like <see cref="XLoraScalingsEntry.TokenIds"/> (index b·Tokens + t); without it a token's text is its id.
/// </summary>
/// <param name="Modules">Module paths, index ℓ = 0..L−1.</param>
/// <param name="Adapters">Expert names, index i = 0..n−1.</param>
/// <param name="TokenTexts">Optional token strings per entry, [entry][b·Tokens + t].</param>
internal sealed record XLoraScalingsLabels(IReadOnlyList<string> Modules, IReadOnlyList<string> Adapters, IReadOnlyList<IReadOnlyList<string>>? TokenTexts = null)
{
    /// <summary>L: the number of wrapped modules.</summary>
    public int ModuleCount => Modules.Count;

    /// <summary>n: the number of experts.</summary>
    public int AdapterCount => Adapters.Count;

    /// <summary>
    /// Labels for <paramref name="model"/>'s modules and experts; token text per entry from <paramref name="decode"/>
    /// (token id → text, e.g. a one-token tokenizer decode) when given.
    /// </summary>
    public static XLoraScalingsLabels FromModel(XLoraModel model, IReadOnlyList<XLoraScalingsEntry> entries, Func<int, string>? decode = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(entries);
        IReadOnlyList<IReadOnlyList<string>>? texts = decode is null ? null : [.. entries.Select(e => (IReadOnlyList<string>)[.. e.TokenIds.Select(decode)])];
        return new XLoraScalingsLabels(model.Layers, model.Config.AdapterNames, texts);
    }

    /// <summary>The text of token (b, t) of entry <paramref name="index"/>: <see cref="TokenTexts"/> when given, else the id.</summary>
    public string TokenText(int index, XLoraScalingsEntry entry, int b, int t)
    {
        ArgumentNullException.ThrowIfNull(entry);
        int k = b * entry.Tokens + t;
        return TokenTexts is { } texts ? texts[index][k] : entry.TokenIds[k].ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Checks that every entry fits these labels: Layers (Lx) is 1 or L, Experts = n, Values holds
    /// Batch·Tokens·Lx·n floats, TokenIds Batch·Tokens ids, and token texts (if any) one per id.
    /// </summary>
    /// <exception cref="ArgumentException">Naming the entry and what was expected.</exception>
    public void Validate(IReadOnlyList<XLoraScalingsEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (Modules.Count == 0) throw new ArgumentException("X-LoRA scalings labels name no module (L = 0)");
        if (Adapters.Count == 0) throw new ArgumentException("X-LoRA scalings labels name no adapter (n = 0)");
        if (TokenTexts is not null && TokenTexts.Count != entries.Count)
        {
            throw new ArgumentException($"X-LoRA scalings labels carry token text for {TokenTexts.Count} entries but the log has {entries.Count}");
        }
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i] ?? throw new ArgumentException($"X-LoRA scalings entry {i} is null");
            if (e.Layers != 1 && e.Layers != Modules.Count)
            {
                throw new ArgumentException($"X-LoRA scalings entry {i} has {e.Layers} layers; expected 1 (not layerwise) or L = {Modules.Count} modules");
            }
            if (e.Experts != Adapters.Count) throw new ArgumentException($"X-LoRA scalings entry {i} has {e.Experts} experts; expected n = {Adapters.Count} adapters");
            if (e.Batch < 0 || e.Tokens < 0) throw new ArgumentException($"X-LoRA scalings entry {i} has a negative batch or token count");
            long want = (long)e.Batch * e.Tokens * e.Layers * e.Experts;
            if (e.Values.Length != want)
            {
                throw new ArgumentException($"X-LoRA scalings entry {i} holds {e.Values.Length} values; expected [b={e.Batch}, s={e.Tokens}, Lx={e.Layers}, n={e.Experts}] = {want}");
            }
            if (e.TokenIds.Length != e.Batch * e.Tokens)
            {
                throw new ArgumentException($"X-LoRA scalings entry {i} holds {e.TokenIds.Length} token ids; expected [b={e.Batch}, s={e.Tokens}]");
            }
            if (TokenTexts is not null && TokenTexts[i].Count != e.TokenIds.Length)
            {
                throw new ArgumentException($"X-LoRA scalings entry {i} has {TokenTexts[i].Count} token texts; expected one per token id ({e.TokenIds.Length})");
            }
        }
    }

    /// <summary>
    /// Short module labels: <see cref="ShortModuleName"/> of each path, or the full paths when the short forms collide.
    /// </summary>
    public IReadOnlyList<string> ShortModules()
    {
        var s = Modules.Select(ShortModuleName).ToList();
        return s.Distinct(StringComparer.Ordinal).Count() == s.Count ? s : Modules;
    }

    /// <summary>
    /// "block.leaf" from a module path: the last all-digit segment and the last segment, e.g.
    /// <c>model.layers.3.self_attn.q_proj</c> → <c>3.q_proj</c>, <c>transformer.h.2.attn.c_attn</c> → <c>2.c_attn</c>;
    /// the last segment when no segment is a number.
    /// </summary>
    public static string ShortModuleName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.Split('.');
        string leaf = parts[^1];
        for (int k = parts.Length - 2; k >= 0; k--)
        {
            if (parts[k].Length > 0 && parts[k].All(char.IsAsciiDigit)) return parts[k] + "." + leaf;
        }
        return leaf;
    }

    /// <summary>
    /// <paramref name="text"/> with whitespace and control characters made visible for a plot label: space → '·',
    /// newline → '⏎', tab → '⇥', carriage return → '␍', other C0 controls → their control pictures (U+2400 + c),
    /// DEL → '␡'; an empty token → '∅'.
    /// </summary>
    public static string VisibleToken(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return "∅";
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(c switch
            {
                ' ' => '·',
                '\n' => '⏎',
                '\t' => '⇥',
                '\r' => '␍',
                '\u007F' => '␡',
                < ' ' => (char)(0x2400 + c),
                _ => c,
            });
        }
        return sb.ToString();
    }
}

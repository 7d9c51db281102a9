// Parses tokenizer.json sections into component objects; every error names the file and the JSON key.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ExpertMix.Models.Tokenization;

/// <summary>One factory method per tokenizer.json section; unknown "type" values raise <see cref="NotSupportedException"/>.</summary>
internal sealed class TokenizerJsonParser(string file)
{
    public T? Optional<T>(JsonElement root, string key, Func<JsonElement, T> parse) where T : class =>
        root.TryGetProperty(key, out var el) && el.ValueKind != JsonValueKind.Null ? parse(el) : null;

    private InvalidDataException Bad(string where, string what) => new($"{file}: {where}: {what}");

    private NotSupportedException Unsupported(string section, string type) =>
        new($"{file}: {section} type \"{type}\" is not supported by ExpertMix's tokenizer");

    private string TypeOf(JsonElement el, string section)
    {
        if (el.ValueKind != JsonValueKind.Object) throw Bad(section, $"expected an object, got {el.ValueKind}");
        if (!el.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String) throw Bad(section, "missing \"type\"");
        return t.GetString()!;
    }

    private string Str(JsonElement el, string key, string section, string? fallback = null)
    {
        if (el.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String) return v.GetString()!;
        return fallback ?? throw Bad(section, $"missing string \"{key}\"");
    }

    private static string? StrOrNull(JsonElement el, string key) =>
        el.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement el, string key, bool fallback) =>
        el.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    private int Int(JsonElement el, string key, string section, int fallback)
    {
        if (!el.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.TryGetInt32(out int i) ? i : throw Bad(section, $"\"{key}\" must be an integer");
    }

    // ---- model -------------------------------------------------------------------------------------------------

    public BpeModel Model(JsonElement el)
    {
        string type = el.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : (el.TryGetProperty("merges", out _) ? "BPE" : "?");
        if (type != "BPE") throw Unsupported("model", type);
        if (el.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number && d.GetDouble() > 0)
            throw new NotSupportedException($"{file}: model.dropout {d.GetDouble()} is not supported (BPE dropout is a training-time randomization)");
        if (!el.TryGetProperty("vocab", out var v)) throw Bad("model", "missing \"vocab\"");
        var vocab = Vocab(v);
        var merges = new List<(string, string)>();
        if (el.TryGetProperty("merges", out var m) && m.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in m.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    string s = item.GetString()!;
                    int sp = s.IndexOf(' ', StringComparison.Ordinal);
                    if (sp < 0) throw Bad($"model.merges[{i}]", $"expected \"left right\", got \"{s}\"");
                    merges.Add((s[..sp], s[(sp + 1)..]));
                }
                else if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2
                    && item[0].ValueKind == JsonValueKind.String && item[1].ValueKind == JsonValueKind.String)
                {
                    merges.Add((item[0].GetString()!, item[1].GetString()!));
                }
                else
                {
                    throw Bad($"model.merges[{i}]", "expected a \"left right\" string or a [left, right] pair");
                }
                i++;
            }
        }
        var options = new BpeOptions(StrOrNull(el, "unk_token"), StrOrNull(el, "continuing_subword_prefix"), StrOrNull(el, "end_of_word_suffix"),
            Bool(el, "fuse_unk", false), Bool(el, "byte_fallback", false), Bool(el, "ignore_merges", false));
        return new BpeModel(vocab, merges, options, file);
    }

    public Dictionary<string, int> Vocab(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object) throw Bad("model.vocab", "expected an object of token → id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var kv in v.EnumerateObject())
        {
            if (!kv.Value.TryGetInt32(out int id) || id < 0) throw Bad("model.vocab", $"token \"{kv.Name}\" has a non-integer or negative id");
            vocab[kv.Name] = id;
        }
        return vocab;
    }

    // ---- added tokens ------------------------------------------------------------------------------------------

    public List<AddedToken> AddedTokens(JsonElement arr)
    {
        var list = new List<AddedToken>();
        int i = 0;
        foreach (var a in arr.EnumerateArray())
        {
            string where = $"added_tokens[{i++}]";
            if (a.ValueKind != JsonValueKind.Object) throw Bad(where, "expected an object");
            int id = Int(a, "id", where, -1);
            if (id < 0) throw Bad(where, "missing or negative \"id\"");
            list.Add(new AddedToken(id, Str(a, "content", where), Bool(a, "special", false), Bool(a, "normalized", true),
                Bool(a, "lstrip", false), Bool(a, "rstrip", false), Bool(a, "single_word", false)));
        }
        return list;
    }

    // ---- normalizer --------------------------------------------------------------------------------------------

    public INormalizer Normalizer(JsonElement el)
    {
        string type = TypeOf(el, "normalizer");
        return type switch
        {
            "NFC" => new UnicodeNormalizer(UnicodeForm.Nfc),
            "NFD" => new UnicodeNormalizer(UnicodeForm.Nfd),
            "NFKC" => new UnicodeNormalizer(UnicodeForm.Nfkc),
            "NFKD" => new UnicodeNormalizer(UnicodeForm.Nfkd),
            "Prepend" => new PrependNormalizer(Str(el, "prepend", "normalizer Prepend")),
            "Replace" => new ReplaceNormalizer(Pattern(el, "normalizer Replace"), Str(el, "content", "normalizer Replace")),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(Bool(el, "strip_left", true), Bool(el, "strip_right", true)),
            "StripAccents" => new StripAccentsNormalizer(),
            "Sequence" => new SequenceNormalizer(Array(el, "normalizers", "normalizer Sequence").Select(Normalizer).ToList()),
            _ => throw Unsupported("normalizer", type),
        };
    }

    private List<JsonElement> Array(JsonElement el, string key, string section)
    {
        if (!el.TryGetProperty(key, out var a) || a.ValueKind != JsonValueKind.Array) throw Bad(section, $"missing array \"{key}\"");
        return [.. a.EnumerateArray()];
    }

    /// <summary>A <c>{"String": s}</c> or <c>{"Regex": r}</c> pattern.</summary>
    private ISplitMatcher Pattern(JsonElement el, string section)
    {
        if (!el.TryGetProperty("pattern", out var p) || p.ValueKind != JsonValueKind.Object) throw Bad(section, "missing \"pattern\" object");
        if (p.TryGetProperty("String", out var s) && s.ValueKind == JsonValueKind.String) return new LiteralMatcher(s.GetString()!);
        if (p.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String)
        {
            string rx = r.GetString()!;
            if (KnownPatternMatcher.TryCreate(rx) is { } known) return known;
            try
            {
                return new RegexMatcher(new Regex(rx, RegexOptions.CultureInvariant | RegexOptions.Compiled));
            }
            catch (ArgumentException e)
            {
                throw new NotSupportedException($"{file}: {section}: regex /{rx}/ is not supported by .NET's regex engine: {e.Message}", e);
            }
        }
        throw Bad(section, "pattern must be {\"String\": …} or {\"Regex\": …}");
    }

    // ---- pre-tokenizer -----------------------------------------------------------------------------------------

    public IPreTokenizer PreTokenizer(JsonElement el)
    {
        string type = TypeOf(el, "pre_tokenizer");
        switch (type)
        {
            case "ByteLevel":
                return new ByteLevelPreTokenizer(Bool(el, "add_prefix_space", true), Bool(el, "use_regex", true));
            case "Split":
            {
                string behavior = Str(el, "behavior", "pre_tokenizer Split");
                var b = behavior switch
                {
                    "Removed" => SplitBehavior.Removed,
                    "Isolated" => SplitBehavior.Isolated,
                    "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
                    "MergedWithNext" => SplitBehavior.MergedWithNext,
                    "Contiguous" => SplitBehavior.Contiguous,
                    _ => throw Bad("pre_tokenizer Split", $"unknown behavior \"{behavior}\""),
                };
                return new SplitPreTokenizer(Pattern(el, "pre_tokenizer Split"), b, Bool(el, "invert", false));
            }
            case "Metaspace":
                return new MetaspacePreTokenizer(Replacement(el, "pre_tokenizer Metaspace"), Scheme(el), Bool(el, "split", true));
            case "Digits":
                return new DigitsPreTokenizer(Bool(el, "individual_digits", false));
            case "Sequence":
                return new SequencePreTokenizer(Array(el, "pretokenizers", "pre_tokenizer Sequence").Select(PreTokenizer).ToList());
            default:
                throw Unsupported("pre_tokenizer", type);
        }
    }

    private char Replacement(JsonElement el, string section)
    {
        string r = Str(el, "replacement", section, "\u2581");
        return r.Length == 1 ? r[0] : throw Bad(section, $"replacement must be one character, got \"{r}\"");
    }

    private PrependScheme Scheme(JsonElement el)
    {
        string? s = StrOrNull(el, "prepend_scheme");
        if (s is null) return Bool(el, "add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
        return s switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            _ => throw Bad("Metaspace", $"unknown prepend_scheme \"{s}\""),
        };
    }

    // ---- post-processor ----------------------------------------------------------------------------------------

    public IPostProcessor PostProcessor(JsonElement el)
    {
        string type = TypeOf(el, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return new IdentityPostProcessor();
            case "Sequence":
                return new SequencePostProcessor(Array(el, "processors", "post_processor Sequence").Select(PostProcessor).ToList());
            case "TemplateProcessing":
                return Template(el);
            case "BertProcessing":
            case "RobertaProcessing":
            {
                int Id(string key) => el.TryGetProperty(key, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && pair[1].TryGetInt32(out int v)
                    ? v : throw Bad($"post_processor {type}", $"\"{key}\" must be [token, id]");
                return new TemplatePostProcessor([new TemplatePiece(false, [Id("cls")]), new TemplatePiece(true, []), new TemplatePiece(false, [Id("sep")])]);
            }
            default:
                throw Unsupported("post_processor", type);
        }
    }

    private TemplatePostProcessor Template(JsonElement el)
    {
        const string section = "post_processor TemplateProcessing";
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (el.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object)
        {
            foreach (var kv in st.EnumerateObject())
            {
                if (!kv.Value.TryGetProperty("ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
                    throw Bad(section, $"special_tokens.{kv.Name} has no \"ids\" array");
                specials[kv.Name] = ids.EnumerateArray().Select(x => x.TryGetInt32(out int v) ? v : throw Bad(section, $"special_tokens.{kv.Name}.ids must be integers")).ToArray();
            }
        }
        if (!el.TryGetProperty("single", out var single)) throw Bad(section, "missing \"single\"");
        var pieces = new List<TemplatePiece>();
        IEnumerable<JsonElement> items = single.ValueKind switch
        {
            JsonValueKind.Array => single.EnumerateArray(),
            _ => throw Bad(section, "\"single\" must be an array"),
        };
        foreach (var item in items)
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                // Legacy string form: "$A", "$A:0", "<s>", "<s>:1".
                string s = item.GetString()!;
                string name = s.Contains(':', StringComparison.Ordinal) ? s[..s.LastIndexOf(':')] : s;
                pieces.Add(name.StartsWith('$') ? new TemplatePiece(true, []) : new TemplatePiece(false, SpecialIds(specials, name, section)));
            }
            else if (item.TryGetProperty("Sequence", out _))
            {
                pieces.Add(new TemplatePiece(true, []));
            }
            else if (item.TryGetProperty("SpecialToken", out var sp))
            {
                pieces.Add(new TemplatePiece(false, SpecialIds(specials, Str(sp, "id", section), section)));
            }
            else
            {
                throw Bad(section, "template items must be {\"Sequence\": …} or {\"SpecialToken\": …}");
            }
        }
        return new TemplatePostProcessor(pieces);
    }

    private int[] SpecialIds(Dictionary<string, int[]> specials, string name, string section) =>
        specials.TryGetValue(name, out var ids) ? ids : throw Bad(section, $"template uses special token \"{name}\" missing from special_tokens");

    // ---- decoder -----------------------------------------------------------------------------------------------

    public IDecoder Decoder(JsonElement el)
    {
        string type = TypeOf(el, "decoder");
        return type switch
        {
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => new MetaspaceDecoder(Replacement(el, "decoder Metaspace"), Scheme(el)),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(Str(el, "content", "decoder Strip"), Int(el, "start", "decoder Strip", 0), Int(el, "stop", "decoder Strip", 0)),
            "Replace" => new ReplaceDecoder(Pattern(el, "decoder Replace"), Str(el, "content", "decoder Replace")),
            "Sequence" => new SequenceDecoder(Array(el, "decoders", "decoder Sequence").Select(Decoder).ToList()),
            _ => throw Unsupported("decoder", type),
        };
    }
}

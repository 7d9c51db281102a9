// Tokenizer construction: tokenizer.json parsing (one small factory per section), vocab.json + merges.txt, tokenizer_config.json.
using System.Text.Json;

namespace ExpertMix.Models.Tokenization;

public sealed partial class Tokenizer
{
    private Tokenizer(string sourcePath, BpeModel model, INormalizer? normalizer, IPreTokenizer? preTokenizer,
        IPostProcessor? postProcessor, IDecoder? decoder, IReadOnlyList<AddedToken> added, SpecialTokenConfig config)
    {
        SourcePath = sourcePath;
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _postProcessor = postProcessor;
        _decoder = decoder;
        _addedById = [];
        _addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in added)
        {
            _addedById[t.Id] = t;
            _addedByContent.TryAdd(t.Content, t);
        }
        _specialContents = new HashSet<string>(added.Where(t => t.Special).Select(t => t.Content), StringComparer.Ordinal);
        _rawAdded = new AddedTokenMatcher(added.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedAdded = new AddedTokenMatcher(added.Where(t => t.Normalized).Select(t => (normalizer?.Normalize(t.Content) ?? t.Content, t)));
        VocabSize = Math.Max(model.Size, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
        SpecialIds = added.Where(t => t.Special).Select(t => t.Id).Distinct().Order().ToArray();

        var (before, after) = postProcessor?.Added ?? ([], []);
        BosId = config.Bos is { } b ? TokenToId(b) : null;
        BosId ??= before.Count > 0 ? before[0] : null;
        EosId = config.Eos is { } e ? TokenToId(e) : null;
        EosId ??= after.Count > 0 ? after[^1] : null;
        if (config.Bos is null && BosId is null && !config.FromConfigFile) BosId = FirstKnown("<s>", "<|begin_of_text|>", "<bos>", "<|endoftext|>");
        if (config.Eos is null && EosId is null && !config.FromConfigFile) EosId = FirstKnown("</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>");
        AddsBos = BosId is int bos && before.Contains(bos);
        ConfigAddBosToken = config.AddBos;
    }

    private int? FirstKnown(params string[] names)
    {
        foreach (string n in names)
        {
            if (_addedByContent.TryGetValue(n, out var t)) return t.Id;
        }
        return null;
    }

    /// <summary>bos/eos names from tokenizer_config.json (null = absent or null there).</summary>
    private sealed record SpecialTokenConfig(string? Bos, string? Eos, bool? AddBos, bool FromConfigFile);

    /// <summary>Loads a tokenizer.json; reads tokenizer_config.json beside it (bos_token, eos_token) when present.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The JSON is malformed or inconsistent (the message names the file and key).</exception>
    /// <exception cref="NotSupportedException">A component type is not implemented (the message names the type and file).</exception>
    public static Tokenizer FromFile(string tokenizerJsonPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        if (!File.Exists(tokenizerJsonPath)) throw new FileNotFoundException($"{tokenizerJsonPath}: tokenizer file not found", tokenizerJsonPath);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{tokenizerJsonPath}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var p = new TokenizerJsonParser(tokenizerJsonPath);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{tokenizerJsonPath}: expected a JSON object at the top level");
            if (!root.TryGetProperty("model", out var modelEl)) throw new InvalidDataException($"{tokenizerJsonPath}: missing \"model\"");
            var model = p.Model(modelEl);
            var added = root.TryGetProperty("added_tokens", out var at) && at.ValueKind == JsonValueKind.Array ? p.AddedTokens(at) : [];
            var normalizer = p.Optional(root, "normalizer", p.Normalizer);
            var pre = p.Optional(root, "pre_tokenizer", p.PreTokenizer);
            var post = p.Optional(root, "post_processor", p.PostProcessor);
            var decoder = p.Optional(root, "decoder", p.Decoder);
            var config = ReadConfig(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, "tokenizer_config.json"));
            return new Tokenizer(tokenizerJsonPath, model, normalizer, pre, post, decoder, added, config);
        }
    }

    /// <summary>
    /// Loads <c>tokenizer.json</c> from <paramref name="modelDir"/>, else GPT-2 style <c>vocab.json</c> + <c>merges.txt</c>
    /// (byte-level BPE with the GPT-2 split regex; <c>&lt;|endoftext|&gt;</c> becomes a special token when in the vocabulary).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">Neither tokenizer.json nor vocab.json + merges.txt is present.</exception>
    public static Tokenizer FromDirectory(string modelDir)
    {
        ArgumentNullException.ThrowIfNull(modelDir);
        if (!Directory.Exists(modelDir)) throw new DirectoryNotFoundException($"{modelDir}: model directory not found");
        string json = Path.Combine(modelDir, "tokenizer.json");
        if (File.Exists(json)) return FromFile(json);
        string vocab = Path.Combine(modelDir, "vocab.json"), merges = Path.Combine(modelDir, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges)) return FromVocabAndMerges(vocab, merges);
        throw new FileNotFoundException($"{modelDir}: no tokenizer.json, and no vocab.json + merges.txt pair", json);
    }

    /// <summary>Builds a GPT-2 byte-level BPE tokenizer from <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    /// <exception cref="InvalidDataException">Either file is malformed (the message names it and the line).</exception>
    public static Tokenizer FromVocabAndMerges(string vocabJsonPath, string mergesTxtPath)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(mergesTxtPath);
        var p = new TokenizerJsonParser(vocabJsonPath);
        Dictionary<string, int> vocab;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(vocabJsonPath));
            vocab = p.Vocab(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{vocabJsonPath}: not valid JSON: {e.Message}", e);
        }
        var merges = new List<(string, string)>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(mergesTxtPath))
        {
            lineNo++;
            if (line.Length == 0 || (lineNo == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            int sp = line.IndexOf(' ', StringComparison.Ordinal);
            if (sp <= 0 || sp == line.Length - 1 || line.IndexOf(' ', sp + 1) >= 0)
                throw new InvalidDataException($"{mergesTxtPath}:{lineNo}: expected \"left right\", got \"{line}\"");
            merges.Add((line[..sp], line[(sp + 1)..]));
        }
        var model = new BpeModel(vocab, merges, new BpeOptions(null, null, null, false, false, false), mergesTxtPath);
        var added = new List<AddedToken>();
        if (vocab.TryGetValue("<|endoftext|>", out int eot)) added.Add(new AddedToken(eot, "<|endoftext|>", true, true, false, false, false));
        var config = ReadConfig(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocabJsonPath))!, "tokenizer_config.json"));
        return new Tokenizer(vocabJsonPath, model, null, new ByteLevelPreTokenizer(false, true), new IdentityPostProcessor(),
            new ByteLevelDecoder(), added, config);
    }

    private static SpecialTokenConfig ReadConfig(string path)
    {
        if (!File.Exists(path)) return new SpecialTokenConfig(null, null, null, false);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            bool? addBos = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? ab.GetBoolean() : null;
            return new SpecialTokenConfig(TokenName(root, "bos_token"), TokenName(root, "eos_token"), addBos, true);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
    }

    private static string? TokenName(JsonElement root, string key)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => null,
        };
    }
}

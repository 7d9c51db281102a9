// tokenizer.json "model" section, type BPE: ranked merges over a per-word symbol list, byte fallback, unk fusing,
// ignore_merges, subword prefix / end-of-word suffix, and a bounded per-word cache.
using System.Collections.Concurrent;
using System.Globalization;

namespace ExpertMix.Models.Tokenization;

/// <summary>Byte-pair-encoding model, exactly as Hugging Face tokenizers' <c>BPE</c> (without dropout).</summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 65_536;
    private const int MaxCachedWordLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int[] _byteTokens; // <0xNN> ids when byte_fallback, else empty
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private int _cacheCount;
    private readonly int[]? _charIds; // BMP char → id of the one-char token, -1 if none (null with prefix/suffix)
    private readonly bool[]? _unsafeBeforeMeta; // chars x for which some token contains "x▁"; null = no chunking
    private const char Meta = '\u2581';

    /// <summary>Builds the model; <paramref name="merges"/> are (left, right) token strings in rank order.</summary>
    /// <exception cref="InvalidDataException">A merge names a token missing from the vocabulary.</exception>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, BpeOptions options, string file)
    {
        _vocab = vocab;
        Options = options;
        int maxId = -1;
        foreach (int id in vocab.Values) maxId = Math.Max(maxId, id);
        _idToToken = new string[maxId + 1];
        foreach (var (tok, id) in vocab)
        {
            if (id < 0) throw new InvalidDataException($"{file}: model.vocab: token '{tok}' has negative id {id}");
            _idToToken[id] = tok;
        }
        int prefixLength = options.ContinuingSubwordPrefix?.Length ?? 0;
        _merges = new Dictionary<long, (int, int)>(merges.Count, PairComparer.Instance);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (a, b) = merges[rank];
            if (!vocab.TryGetValue(a, out int aId) || !vocab.TryGetValue(b, out int bId))
                throw new InvalidDataException($"{file}: model.merges[{rank}] \"{a} {b}\": token '{(vocab.ContainsKey(a) ? b : a)}' is not in the vocabulary");
            string merged = a + (prefixLength > 0 && b.Length >= prefixLength ? b[prefixLength..] : b);
            if (!vocab.TryGetValue(merged, out int newId))
                throw new InvalidDataException($"{file}: model.merges[{rank}] \"{a} {b}\": merged token '{merged}' is not in the vocabulary");
            _merges[Key(aId, bId)] = (rank, newId);
        }
        _byteTokens = [];
        if (options.ByteFallback)
        {
            _byteTokens = new int[256];
            for (int b = 0; b < 256; b++)
                _byteTokens[b] = vocab.TryGetValue(string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>"), out int id) ? id : -1;
        }
        if (options.UnkToken is not null && vocab.TryGetValue(options.UnkToken, out int unk)) UnkId = unk;
        if (string.IsNullOrEmpty(options.ContinuingSubwordPrefix) && string.IsNullOrEmpty(options.EndOfWordSuffix))
        {
            _charIds = new int[65536];
            System.Array.Fill(_charIds, -1);
            foreach (var (tok, id) in vocab)
            {
                if (tok.Length == 1 && !char.IsSurrogate(tok[0])) _charIds[tok[0]] = id;
            }
            if (!options.IgnoreMerges && vocab.ContainsKey(Meta.ToString()))
            {
                _unsafeBeforeMeta = new bool[65536];
                foreach (string tok in vocab.Keys)
                {
                    for (int i = 1; i < tok.Length; i++)
                    {
                        if (tok[i] == Meta && tok[i - 1] != Meta) _unsafeBeforeMeta[tok[i - 1]] = true;
                    }
                }
            }
        }
    }

    /// <summary>Options from the file.</summary>
    public BpeOptions Options { get; }

    /// <summary>The unk token's id, if the model has one in its vocabulary.</summary>
    public int? UnkId { get; }

    /// <summary>Number of ids covered (max id + 1).</summary>
    public int Size => _idToToken.Length;

    /// <summary>The vocabulary (token → id).</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>Appends the ids of one pre-token.</summary>
    /// <remarks>
    /// SentencePiece-style inputs have no pre-tokenizer, so a whole text is one word. It is cut before each '▁' that
    /// follows a one-char token x (x ≠ '▁') such that no vocabulary token contains "x▁": a symbol spanning such a cut
    /// would be a merge result containing "x▁", so no merge can cross it, and BPE of the word equals the
    /// concatenation of BPE of the pieces, which then hit the per-word cache.
    /// </remarks>
    /// <exception cref="InvalidDataException">A character is not in the vocabulary and the model has neither byte fallback nor unk.</exception>
    public void Tokenize(string word, List<int> ids)
    {
        if (word.Length == 0) return;
        if (_unsafeBeforeMeta is not null && word.Length > 1)
        {
            int start = 0;
            for (int i = 1; i < word.Length; i++)
            {
                char x = word[i - 1];
                if (word[i] == Meta && x != Meta && !char.IsSurrogate(x) && _charIds![x] >= 0 && !_unsafeBeforeMeta[x])
                {
                    TokenizeWord(start == 0 ? word[..i] : word[start..i], ids);
                    start = i;
                }
            }
            TokenizeWord(start == 0 ? word : word[start..], ids);
            return;
        }
        TokenizeWord(word, ids);
    }

    private void TokenizeWord(string word, List<int> ids)
    {
        if (Options.IgnoreMerges && _vocab.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }
        if (_cache.TryGetValue(word, out var hit))
        {
            ids.AddRange(hit);
            return;
        }
        var result = MergeWord(word);
        if (word.Length < MaxCachedWordLength)
        {
            if (_cacheCount >= CacheCapacity)
            {
                _cache.Clear();
                _cacheCount = 0;
            }
            if (_cache.TryAdd(word, result)) Interlocked.Increment(ref _cacheCount);
        }
        ids.AddRange(result);
    }

    /// <summary>Splits into initial symbols (one per code point, with unk / byte fallback) and applies the merges.</summary>
    internal int[] MergeWord(string w, bool forceHeap = false)
    {
        var symbols = new List<int>(w.Length);
        int pendingUnk = -1;
        string? prefix = Options.ContinuingSubwordPrefix;
        string? suffix = Options.EndOfWordSuffix;
        for (int i = 0; i < w.Length;)
        {
            int width = char.IsHighSurrogate(w[i]) && i + 1 < w.Length && char.IsLowSurrogate(w[i + 1]) ? 2 : 1;
            if (width == 1 && _charIds is not null && !char.IsSurrogate(w[i]) && _charIds[w[i]] is int direct && direct >= 0)
            {
                if (pendingUnk >= 0)
                {
                    symbols.Add(pendingUnk);
                    pendingUnk = -1;
                }
                symbols.Add(direct);
                i++;
                continue;
            }
            bool isFirst = i == 0, isLast = i + width == w.Length;
            string s = w.Substring(i, width);
            i += width;
            if (!isFirst && !string.IsNullOrEmpty(prefix)) s = prefix + s;
            if (isLast && !string.IsNullOrEmpty(suffix)) s += suffix;
            if (_vocab.TryGetValue(s, out int id))
            {
                if (pendingUnk >= 0)
                {
                    symbols.Add(pendingUnk);
                    pendingUnk = -1;
                }
                symbols.Add(id);
                continue;
            }
            if (Options.ByteFallback && TryAddBytes(s, symbols)) continue;
            if (UnkId is not int unkId)
                throw new InvalidDataException($"BPE: '{s}' (U+{char.ConvertToUtf32(w, i - width):X4}) is not in the vocabulary and the model has no unk_token" + (Options.ByteFallback ? " and no byte tokens for it" : ""));
            if (pendingUnk >= 0 && !Options.FuseUnk) symbols.Add(pendingUnk);
            pendingUnk = unkId;
        }
        if (pendingUnk >= 0) symbols.Add(pendingUnk);
        if (symbols.Count < 2) return [.. symbols];
        return symbols.Count <= 64 && !forceHeap ? MergeSmall(symbols) : MergeLarge(symbols);
    }

    private bool TryAddBytes(string s, List<int> symbols)
    {
        Span<byte> buf = stackalloc byte[32];
        int n = System.Text.Encoding.UTF8.GetBytes(s, buf);
        for (int k = 0; k < n; k++)
        {
            if (_byteTokens[buf[k]] < 0) return false;
        }
        for (int k = 0; k < n; k++) symbols.Add(_byteTokens[buf[k]]);
        return true;
    }

    /// <summary>
    /// Array scan for short words: keeps the rank of every adjacent pair, merges the lowest (rank, position) pair and
    /// looks up only the two pairs it changed. Same result as the heap version (HF's Word::merge_all).
    /// </summary>
    private int[] MergeSmall(List<int> symbols)
    {
        int n = symbols.Count;
        Span<int> sym = stackalloc int[n];
        Span<int> rank = stackalloc int[n];
        Span<int> newId = stackalloc int[n];
        for (int i = 0; i < n; i++) sym[i] = symbols[i];
        for (int i = 0; i < n - 1; i++) LookupPair(sym[i], sym[i + 1], out rank[i], out newId[i]);
        while (n > 1)
        {
            int bestRank = int.MaxValue, bestPos = -1;
            for (int i = 0; i < n - 1; i++)
            {
                if (rank[i] < bestRank)
                {
                    bestRank = rank[i];
                    bestPos = i;
                }
            }
            if (bestPos < 0) break;
            sym[bestPos] = newId[bestPos];
            int tail = n - bestPos - 2;
            sym.Slice(bestPos + 2, tail).CopyTo(sym[(bestPos + 1)..]);
            rank.Slice(bestPos + 2, tail).CopyTo(rank[(bestPos + 1)..]);
            newId.Slice(bestPos + 2, tail).CopyTo(newId[(bestPos + 1)..]);
            n--;
            if (bestPos > 0) LookupPair(sym[bestPos - 1], sym[bestPos], out rank[bestPos - 1], out newId[bestPos - 1]);
            if (bestPos < n - 1) LookupPair(sym[bestPos], sym[bestPos + 1], out rank[bestPos], out newId[bestPos]);
        }
        return sym[..n].ToArray();
    }

    private void LookupPair(int a, int b, out int rank, out int newId)
    {
        if (_merges.TryGetValue(Key(a, b), out var m))
        {
            rank = m.Rank;
            newId = m.NewId;
        }
        else
        {
            rank = int.MaxValue;
            newId = -1;
        }
    }

    /// <summary>Heap + linked list (HF's Word::merge_all): O(n log n) for long words such as whole SentencePiece texts.</summary>
    private int[] MergeLarge(List<int> symbols)
    {
        int n = symbols.Count;
        var c = symbols.ToArray();
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            alive[i] = true;
        }
        var queue = new PriorityQueue<(int Pos, int NewId), long>(n);
        for (int i = 0; i < n - 1; i++)
        {
            if (_merges.TryGetValue(Key(c[i], c[i + 1]), out var m)) queue.Enqueue((i, m.NewId), Priority(m.Rank, i));
        }
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (!alive[pos] || next[pos] < 0) continue;
            int right = next[pos];
            if (!_merges.TryGetValue(Key(c[pos], c[right]), out var cur) || cur.NewId != top.NewId) continue;
            c[pos] = top.NewId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0 && _merges.TryGetValue(Key(c[prev[pos]], c[pos]), out var left))
                queue.Enqueue((prev[pos], left.NewId), Priority(left.Rank, prev[pos]));
            if (next[pos] >= 0 && _merges.TryGetValue(Key(c[pos], c[next[pos]]), out var rightMerge))
                queue.Enqueue((pos, rightMerge.NewId), Priority(rightMerge.Rank, pos));
        }
        var result = new List<int>(n);
        for (int i = 0; i >= 0 && i < n; i = next[i]) result.Add(c[i]);
        return [.. result];
    }

    private static long Priority(int rank, int pos) => ((long)rank << 32) | (uint)pos;
}

/// <summary>Hash for packed (left id, right id) pairs: the default long hash (hi ^ lo) collides for every (a, b) / (b, a).</summary>
internal sealed class PairComparer : IEqualityComparer<long>
{
    public static readonly PairComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long obj) => (int)(((ulong)obj * 0x9E3779B97F4A7C15UL) >> 32);
}

/// <summary>BPE options from tokenizer.json's model section.</summary>
internal sealed record BpeOptions(string? UnkToken, string? ContinuingSubwordPrefix, string? EndOfWordSuffix, bool FuseUnk, bool ByteFallback, bool IgnoreMerges);

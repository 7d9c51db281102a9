// tokenizer.json "decoder" section: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence (HF decode_chain semantics).
using System.Globalization;
using System.Text;

namespace ExpertMix.Models.Tokenization;

/// <summary>Transforms the list of token strings; the final text is the concatenation of the result.</summary>
internal interface IDecoder
{
    List<string> DecodeChain(List<string> tokens);
}

/// <summary>ByteLevel: table chars → bytes (tokens with chars outside the table contribute their UTF-8), lossy UTF-8.</summary>
internal sealed class ByteLevelDecoder : IDecoder
{
    private static readonly UTF8Encoding Lossy = new(false, false);

    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string t in tokens)
        {
            int start = bytes.Count;
            bool ok = true;
            foreach (char ch in t)
            {
                int b = ByteLevelAlphabet.ToByte(ch);
                if (b < 0)
                {
                    ok = false;
                    break;
                }
                bytes.Add((byte)b);
            }
            if (!ok)
            {
                bytes.RemoveRange(start, bytes.Count - start);
                bytes.AddRange(Encoding.UTF8.GetBytes(t));
            }
        }
        return [Lossy.GetString(bytes.ToArray())];
    }
}

/// <summary>Metaspace: replacement char → space; on the first token it is dropped unless the prepend scheme is never.</summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme scheme) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var sb = new StringBuilder(tokens[i].Length);
            foreach (char c in tokens[i])
            {
                if (c != replacement) sb.Append(c);
                else if (i != 0 || scheme == PrependScheme.Never) sb.Append(' ');
            }
            result.Add(sb.ToString());
        }
        return result;
    }
}

/// <summary>ByteFallback: runs of &lt;0xNN&gt; tokens become their UTF-8 text, or one U+FFFD per byte when invalid.</summary>
internal sealed class ByteFallbackDecoder : IDecoder
{
    private static readonly UTF8Encoding Strict = new(false, true);

    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (string t in tokens)
        {
            if (TryParseByte(t, out byte b))
            {
                pending.Add(b);
                continue;
            }
            Flush(pending, result);
            result.Add(t);
        }
        Flush(pending, result);
        return result;
    }

    internal static bool TryParseByte(string t, out byte b)
    {
        b = 0;
        return t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
            && byte.TryParse(t.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out b);
    }

    private static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        try
        {
            result.Add(Strict.GetString(pending.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < pending.Count; i++) result.Add("\uFFFD");
        }
        pending.Clear();
    }
}

/// <summary>Fuse: all tokens → one string.</summary>
internal sealed class FuseDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Strip: removes up to <c>start</c> leading and <c>stop</c> trailing occurrences of <c>content</c> from each token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        foreach (string t in tokens)
        {
            int a = 0;
            for (int n = 0; n < start && t.AsSpan(a).StartsWith(content, StringComparison.Ordinal) && content.Length > 0; n++) a += content.Length;
            int b = t.Length;
            for (int n = 0; n < stop && b - content.Length >= a && t.AsSpan(a, b - a).EndsWith(content, StringComparison.Ordinal) && content.Length > 0; n++) b -= content.Length;
            result.Add(t[a..b]);
        }
        return result;
    }
}

/// <summary>Replace: pattern (literal or regex) → content in each token.</summary>
internal sealed class ReplaceDecoder(ISplitMatcher pattern, string content) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(t => ReplaceNormalizer.ReplaceAll(pattern, content, t));
}

/// <summary>Sequence: the decoders in order.</summary>
internal sealed class SequenceDecoder(IReadOnlyList<IDecoder> steps) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var d in steps) tokens = d.DecodeChain(tokens);
        return tokens;
    }
}

// Resolves the padding id: explicit option, tokenizer_config.json pad_token, EOS, else 0.
using System.Text.Json;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>Chooses the token id used for padding.</summary>
internal static class PadTokens
{
    /// <summary>
    /// <paramref name="explicitId"/> when given; else the id of <c>pad_token</c> from the tokenizer_config.json
    /// beside <see cref="Tokenizer.SourcePath"/>; else <see cref="Tokenizer.EosId"/>; else 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="explicitId"/> is outside [0, VocabSize).</exception>
    public static int Resolve(Tokenizer tokenizer, int? explicitId)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (explicitId is int id)
        {
            if (id < 0 || id >= tokenizer.VocabSize) throw new ArgumentOutOfRangeException(nameof(explicitId), id, $"pad id must be in [0, {tokenizer.VocabSize})");
            return id;
        }
        return ConfigPad(tokenizer) ?? tokenizer.EosId ?? 0;
    }

    private static int? ConfigPad(Tokenizer tokenizer)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(tokenizer.SourcePath));
        string config = Path.Combine(dir ?? ".", "tokenizer_config.json");
        if (!File.Exists(config)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("pad_token", out var p)) return null;
            string? name = p.ValueKind switch
            {
                JsonValueKind.String => p.GetString(),
                JsonValueKind.Object when p.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                _ => null,
            };
            return name is null ? null : tokenizer.TokenToId(name);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{config}: not valid JSON: {e.Message}", e);
        }
    }
}

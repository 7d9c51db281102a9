// Hand-built X-LoRA scalings log entries whose values come from a known formula, so tests never read expectations back from the code under test.
using ExpertMix.Adapters.XLora;

namespace ExpertMix.Adapters.Tests.XLora;

internal static class XLoraScalingsFixture
{
    public static readonly string[] ModuleNames =
    [
        "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj",
    ];

    public static readonly string[] AdapterNames = ["math, v2", "code", "bio \"x\""];

    /// <summary>A positive softmax over experts of a hash of (entry, b, t, layer): λ[b, t, layer, i].</summary>
    public static float Lambda(int entry, int b, int t, int layer, int expert, int experts)
    {
        double z = 0;
        var logits = new double[experts];
        for (int i = 0; i < experts; i++)
        {
            uint h = (uint)(entry * 7919 + b * 104729 + t * 1299709 + layer * 15485863 + i * 32452843 + 12345);
            h ^= h >> 13;
            h *= 0x5bd1e995;
            h ^= h >> 15;
            logits[i] = (h % 10_000) / 2_000.0;
            z += Math.Exp(logits[i]);
        }
        return (float)(Math.Exp(logits[expert]) / z);
    }

    /// <summary>An entry [b, s, lx, n] with values <see cref="Lambda"/> (layer index ℓ when lx = L, 0 when lx = 1) and ids 1000·entry + 100·b + t.</summary>
    public static XLoraScalingsEntry Entry(int index, int b, int s, int lx, int n, int past)
    {
        var v = new float[b * s * lx * n];
        var ids = new int[b * s];
        for (int bb = 0; bb < b; bb++)
        {
            for (int t = 0; t < s; t++)
            {
                ids[bb * s + t] = 1000 * index + 100 * bb + t;
                for (int l = 0; l < lx; l++)
                {
                    for (int i = 0; i < n; i++) v[(((bb * s) + t) * lx + l) * n + i] = Lambda(index, bb, t, l, i, n);
                }
            }
        }
        return new XLoraScalingsEntry(v, b, s, lx, n, ids, past);
    }

    /// <summary>The expected λ of entry <paramref name="index"/> for module ℓ (ℓ ignored when not layerwise).</summary>
    public static float Expected(int index, bool layerwise, int b, int t, int layer, int expert, int n) =>
        Lambda(index, b, t, layerwise ? layer : 0, expert, n);

    /// <summary>Token text for id: a few tricky strings, else "w{id}".</summary>
    public static string Text(int id) => (id % 7) switch
    {
        0 => " the",
        1 => "a,b",
        2 => "say \"hi\"",
        3 => "\n",
        _ => "w" + id,
    };

    public static XLoraScalingsLabels Labels(IReadOnlyList<XLoraScalingsEntry> entries) =>
        new(ModuleNames, AdapterNames, [.. entries.Select(e => (IReadOnlyList<string>)[.. e.TokenIds.Select(Text)])]);
}

// bos/eos ids from generation_config.json (optional file).
namespace ExpertMix.Models;

/// <summary>The bos and eos ids of a generation_config.json (empty when the file is absent).</summary>
internal sealed record GenerationIds(int? Bos, IReadOnlyList<int> Eos)
{
    public static GenerationIds Load(string path)
    {
        if (!File.Exists(path)) return new GenerationIds(null, []);
        var raw = HfConfigJson.Parse(File.ReadAllText(path), path);
        return new GenerationIds(HfConfigJson.TokenIds(raw.BosTokenId).Cast<int?>().FirstOrDefault(), HfConfigJson.TokenIds(raw.EosTokenId));
    }
}

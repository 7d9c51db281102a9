// A tiny random chat Llama with three saved SVF experts (math, code, a classifier) and an mc-jsonl data file.
using System.Text.Json;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

/// <summary>Shared by the `svf` and `t2` verb tests; everything lives under one temp folder.</summary>
public sealed class SvfCliFixture : IDisposable
{
    public SvfCliFixture()
    {
        Model = TinyChatLlama.Write(seed: 21);
        Root = Path.Combine(Path.GetTempPath(), "expertmix-svfcli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        using var model = CausalLm.Load(Model);
        using var basis = SvfBasis.Decompose(model);
        foreach (var (name, seed) in new[] { ("math", 1UL), ("code", 2UL), ("cls", 3UL) })
        {
            using var e = SvfExpert.CreateInitial(name, basis, new Rng(seed), mean: 0, std: 1.5);
            e.Save(Path.Combine(Root, name));
        }
        Data = Path.Combine(Root, "mc.jsonl");
        File.WriteAllLines(Data, Enumerable.Range(0, 60).Select(i =>
            JsonSerializer.Serialize(new { id = $"r{i}", question = $"Once upon a time {i}?", choices = new[] { "yes", "no", "maybe" }, answer = i % 3 })));
    }

    /// <summary>The model directory.</summary>
    public string Model { get; }

    /// <summary>The temp folder with the experts math/, code/, cls/ and the data.</summary>
    public string Root { get; }

    /// <summary>An mc-jsonl file with 60 rows (dev = the FNV hold-out).</summary>
    public string Data { get; }

    public string Expert(string name) => Path.Combine(Root, name);

    public string Temp(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        Directory.Delete(Model, recursive: true);
    }
}

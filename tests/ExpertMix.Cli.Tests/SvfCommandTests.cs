// `svf decompose|inspect|to-lora` and `--svf` on logits: JSON shapes, the basis cache, and the exact k = r conversion.
using System.Text.Json;
using ExpertMix.Tensors.IO;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class SvfCommandTests(SvfCliFixture fx) : IClassFixture<SvfCliFixture>
{
    private static readonly string Ids = "256,72,101,108,108,111,32,119,111,114,108,100";

    private float[] Logits(params string[] extra)
    {
        string output = fx.Temp("logits") + ".safetensors";
        var (code, _, stderr) = CliRunner.Run(["logits", "--model", fx.Model, "--token-ids", Ids, "--out", output, .. extra]);
        Assert.True(code == 0, stderr);
        using var f = SafetensorsFile.Open(output);
        return f.GetTensor("logits").ToArray();
    }

    [Fact]
    public void Decompose_writes_a_basis_that_inspect_describes_and_svf_options_reuse()
    {
        string basis = fx.Temp("basis") + ".safetensors";
        var (code, stdout, stderr) = CliRunner.Run("svf", "decompose", "--model", fx.Model, "--out", basis, "--json");
        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(6, r.GetProperty("matrices").GetInt32());                       // 2 layers × gate, up, down
        Assert.Equal(2 * (32 + 32 + 32), r.GetProperty("parameters").GetInt64());     // r = min(out, in) = 32 each
        Assert.True(File.Exists(basis));

        (code, stdout, stderr) = CliRunner.Run("svf", "inspect", basis, "--json");
        Assert.True(code == 0, stderr);
        var i = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("basis", i.GetProperty("kind").GetString());
        var rows = i.GetProperty("matrices").EnumerateArray().ToList();
        Assert.Equal(6, rows.Count);
        Assert.Contains(rows, m => m.GetProperty("name").GetString() == "model.layers.0.mlp.down_proj.weight" && m.GetProperty("shape")[0].GetInt32() == 32 && m.GetProperty("shape")[1].GetInt32() == 48);
        Assert.All(rows, m => Assert.True(m.GetProperty("sigma_max").GetDouble() >= m.GetProperty("sigma_min").GetDouble()));

        string all = fx.Temp("all") + ".safetensors";
        (code, stdout, stderr) = CliRunner.Run("svf", "decompose", "--model", fx.Model, "--targets", "all", "--out", all, "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(10, JsonDocument.Parse(stdout).RootElement.GetProperty("matrices").GetInt32());   // + q_proj, v_proj

        // The cached basis gives the same W' as a fresh in-memory decomposition.
        Assert.Equal(Logits("--svf", fx.Expert("math")), Logits("--svf", fx.Expert("math"), "--svf-basis", basis));
    }

    [Fact]
    public void Inspect_an_expert_reports_z_per_matrix()
    {
        var (code, stdout, stderr) = CliRunner.Run("svf", "inspect", fx.Expert("math"), "--json");
        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("expert", r.GetProperty("kind").GetString());
        using var e = Adapters.Svf.SvfExpert.Load(fx.Expert("math"));
        var rows = r.GetProperty("matrices").EnumerateArray().ToList();
        Assert.Equal(e.Parameters.Count, rows.Count);
        Assert.Equal(e.Parameters.Sum(p => p.P.Size(0)), r.GetProperty("parameters").GetInt32());
        var p0 = e.Parameters[0].P.ToArray();
        Assert.Equal(p0.Select(p => 1 / (1 + Math.Exp(-p))).Max(), rows[0].GetProperty("z_max").GetDouble(), 9);
        Assert.Equal(e.BasisSha256, r.GetProperty("basis_sha256").GetString());
    }

    [Fact]
    public void To_lora_at_full_rank_reproduces_the_svf_logits_and_truncation_reports_the_tail()
    {
        var svfLogits = Logits("--svf", fx.Expert("math"));
        var baseLogits = Logits();
        Assert.NotEqual(baseLogits, svfLogits);

        string adapter = fx.Temp("lora");
        var (code, stdout, stderr) = CliRunner.Run("svf", "to-lora", "--model", fx.Model, "--svf", fx.Expert("math"), "--rank", "64", "--out", adapter, "--json");
        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(6, r.GetProperty("modules").GetInt32());
        Assert.Equal(0, r.GetProperty("relative_error").GetDouble());
        Assert.All(r.GetProperty("matrices").EnumerateArray(), m => Assert.Equal(m.GetProperty("full_rank").GetInt32(), m.GetProperty("rank").GetInt32()));
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_config.json")));
        TensorAssert.Close(svfLogits, Logits("--adapter", adapter), 1e-4, 0, "LoRA(k = r) vs SVF logits");

        string small = fx.Temp("lora2");
        (code, stdout, stderr) = CliRunner.Run("svf", "to-lora", "--model", fx.Model, "--svf", fx.Expert("math"), "--rank", "2", "--out", small, "--json");
        Assert.True(code == 0, stderr);
        r = JsonDocument.Parse(stdout).RootElement;
        foreach (var m in r.GetProperty("matrices").EnumerateArray())
        {
            Assert.Equal(2, m.GetProperty("rank").GetInt32());
            var tail = m.GetProperty("tail_energy").EnumerateArray().Select(x => x.GetDouble()).ToList();
            Assert.Equal(m.GetProperty("full_rank").GetInt32() + 1, tail.Count);
            Assert.Equal(Math.Sqrt(tail[2]), m.GetProperty("relative_error").GetDouble(), 9);
            Assert.True(tail.Zip(tail.Skip(1)).All(p => p.First >= p.Second));
        }
        Assert.True(r.GetProperty("relative_error").GetDouble() > 0);

        (code, stdout, stderr) = CliRunner.Run("svf", "to-lora", "--model", fx.Model, "--svf", fx.Expert("math"), "--epsilon", "0.5", "--out", fx.Temp("lora3"), "--json");
        Assert.True(code == 0, stderr);
        Assert.All(JsonDocument.Parse(stdout).RootElement.GetProperty("matrices").EnumerateArray(), m => Assert.True(m.GetProperty("relative_error").GetDouble() <= 0.5));
    }

    [Fact]
    public void Bad_arguments_are_clear_errors()
    {
        var (code, _, stderr) = CliRunner.Run("svf", "to-lora", "--model", fx.Model, "--svf", fx.Expert("math"), "--rank", "2", "--epsilon", "0.1", "--out", fx.Temp("x"));
        Assert.Equal(2, code);
        Assert.Contains("--rank", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliRunner.Run("svf", "inspect", fx.Root + "/nothing-here");
        Assert.Equal(2, code);
        Assert.Contains("nothing-here", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliRunner.Run("logits", "--model", fx.Model, "--token-ids", Ids, "--out", fx.Temp("l"), "--svf", fx.Expert("math"), "--adapter", fx.Expert("code"));
        Assert.Equal(2, code);
        Assert.Contains("--svf", stderr, StringComparison.Ordinal);
    }
}

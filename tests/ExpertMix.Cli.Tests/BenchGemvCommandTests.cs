using System.Text.Json;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class BenchGemvCommandTests
{
    [Fact]
    public void Bench_gemv_json_reports_one_shape_against_the_triad()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "gemv", "--n", "64", "--k", "48", "--dtype", "bf16", "--reps", "1", "--json");

        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(64, r.GetProperty("n").GetInt32());
        Assert.Equal(48, r.GetProperty("k").GetInt32());
        Assert.True(r.GetProperty("gemv_gbs").GetDouble() > 0 && r.GetProperty("triad_gbs").GetDouble() > 0);
    }

    [Fact]
    public void Bench_gemv_preset_runs_one_decoded_tokens_projections_and_lm_head()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "gemv", "--preset", "gpt2-small", "--dtype", "bf16", "--reps", "1", "--json");

        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("gpt2-small", r.GetProperty("preset").GetString());
        // GPT-2 small: 12 blocks of c_attn (2304×768), attn c_proj (768²), c_fc (3072×768), mlp c_proj (768×3072), then lm_head 50257×768.
        Assert.Equal(12 * 4 + 1, r.GetProperty("gemvs").GetInt32());
        Assert.Equal(2.0 * (12L * (3 * 768 * 768 + 768 * 768 + 2 * 3072 * 768) + 50257L * 768), r.GetProperty("weight_bytes").GetDouble());
        double ms = r.GetProperty("median_ms").GetDouble(), gbs = r.GetProperty("gemv_gbs").GetDouble();
        Assert.Equal(r.GetProperty("weight_bytes").GetDouble() / (ms * 1e6), gbs, 0.01 * gbs);
    }

    [Fact]
    public void Bench_gemv_rejects_an_unknown_preset()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "gemv", "--preset", "gpt5", "--json");
        Assert.NotEqual(0, code); // a parse error, before anything is allocated
        Assert.Contains("gpt5", stderr, StringComparison.Ordinal);
    }
}

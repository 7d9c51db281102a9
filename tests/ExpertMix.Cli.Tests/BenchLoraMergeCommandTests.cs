// `bench lora` and `bench merge` on the smallest settings: the JSON object the compare script reads.
using System.Text.Json;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class BenchLoraMergeCommandTests
{
    [Fact]
    public void Bench_lora_json_reports_training_and_decode_speed()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "lora", "--batch", "1", "--seq", "8", "--steps", "1", "--decode", "4", "--decode-rank", "2",
            "--foreign-limit", "1000", "--json");

        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("gpt2-small", r.GetProperty("preset").GetString());
        Assert.True(r.GetProperty("train_tok_s").GetDouble() > 0);
        Assert.True(r.GetProperty("trainable_parameters").GetInt64() > 0);
        Assert.Equal(4, r.GetProperty("decode_tokens").GetInt32());
        Assert.True(r.GetProperty("decode_base_tok_s").GetDouble() > 0);
        Assert.True(r.GetProperty("decode_lora_tok_s").GetDouble() > 0);
        Assert.True(r.TryGetProperty("decode_lora_cost", out _));
    }

    [Fact]
    public void Bench_merge_json_times_the_methods_and_the_merge_into_the_base()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "merge", "--adapters", "2", "--rank", "2", "--methods", "cat", "--reps", "1", "--json");

        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(48, r.GetProperty("modules").GetInt32()); // c_attn, attn.c_proj, c_fc, mlp.c_proj in 12 layers
        Assert.True(r.GetProperty("merge_s").GetProperty("cat").GetDouble() >= 0);
        Assert.True(r.GetProperty("composition_error").GetProperty("cat").GetDouble() < 1e-4);
        Assert.True(r.GetProperty("merge_into_base_s").GetDouble() > 0);
    }
}

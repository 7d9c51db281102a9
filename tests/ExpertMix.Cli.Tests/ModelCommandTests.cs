// `inspect --model`, `generate`, `logits` and `score` on the real stories260K model against its PyTorch reference.
using System.Text.Json;
using ExpertMix.Tensors.IO;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class ModelCommandTests
{
    private static string ModelDir() => SharedData.Require("models/stories260K");

    private static JsonElement Reference(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelDir(), "reference", file))).RootElement;

    [SkippableTheory]
    [InlineData("f32")]
    [InlineData("bf16")]
    public void Generate_json_from_an_empty_prompt_is_the_reference_greedy_story(string kvDType)
    {
        var greedy = Reference("greedy.json");
        int n = greedy.GetProperty("greedy_ids").GetArrayLength();

        // A bf16 KV cache rounds keys and values; on this model the greedy story is unchanged.
        var (code, stdout, stderr) = CliRunner.Run("generate", "--model", ModelDir(), "--prompt", "", "--max-new-tokens", n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--kv-dtype", kvDType, "--json");

        Assert.True(code == 0, stderr);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(greedy.GetProperty("greedy_text").GetString(), result.GetProperty("text").GetString());
        Assert.Equal(greedy.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()), result.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("maxtokens", result.GetProperty("finish_reason").GetString());
    }

    [SkippableFact]
    public void Logits_writes_every_position_matching_the_reference()
    {
        string dir = ModelDir();
        string output = Path.Combine(Path.GetTempPath(), $"expertmix-logits-{Guid.NewGuid():N}.safetensors");
        using var reference = SafetensorsFile.Open(Path.Combine(dir, "reference", "logits.safetensors"));
        using var ids = reference.GetTensor("token_ids");
        using var expected = reference.GetTensor("logits");
        try
        {
            var (code, _, stderr) = CliRunner.Run("logits", "--model", dir, "--token-ids", string.Join(",", ids.ToInt64Array()), "--out", output);

            Assert.True(code == 0, stderr);
            using var written = SafetensorsFile.Open(output);
            using var logits = written.GetTensor("logits");
            Assert.Equal(expected.Shape, logits.Shape);
            TensorAssert.Close(expected.ToArray(), logits.ToArray(), Tolerances.TinyLogitsAbs, 0, "logits verb vs torch");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [SkippableFact]
    public void Score_json_reports_the_reference_perplexity()
    {
        var reference = Reference("perplexity.json");
        string text = Path.Combine(Path.GetTempPath(), $"expertmix-score-{Guid.NewGuid():N}.txt");
        File.WriteAllText(text, reference.GetProperty("text").GetString());
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("score", "--model", ModelDir(), "--data", text, "--json");

            Assert.True(code == 0, stderr);
            var result = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal(reference.GetProperty("token_ids").GetArrayLength() - 1, result.GetProperty("tokens").GetInt32());
            Assert.Equal(reference.GetProperty("mean_nll").GetDouble(), result.GetProperty("nll").GetDouble(), 1e-5);
            Assert.Equal(reference.GetProperty("perplexity").GetDouble(), result.GetProperty("perplexity").GetDouble(), 1e-4);
        }
        finally
        {
            File.Delete(text);
        }
    }

    [SkippableFact]
    public void Inspect_model_json_reports_architecture_size_and_memory()
    {
        var (code, stdout, stderr) = CliRunner.Run("inspect", "--model", ModelDir(), "--json");

        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("LlamaForCausalLM", r.GetProperty("architecture").GetString());
        Assert.Equal(260_032, r.GetProperty("parameters").GetInt64());
        Assert.Equal(260_032L * 4, r.GetProperty("weight_bytes").GetInt64());
        Assert.Equal(512, r.GetProperty("vocab_size").GetInt32());
        Assert.Equal(2 * 5 * 4 * 8 * 4, r.GetProperty("kv_cache_bytes_per_token").GetInt32());
    }

    [Fact]
    public void A_missing_model_directory_and_a_bad_token_list_are_one_line_errors()
    {
        var (code, _, stderr) = CliRunner.Run("generate", "--model", "/nonexistent/model", "--prompt", "hi");
        Assert.Equal(2, code);
        Assert.StartsWith("error: model directory not found: /nonexistent/model", stderr, StringComparison.Ordinal);

        (code, _, stderr) = CliRunner.Run("logits", "--model", "/nonexistent/model", "--token-ids", "1,x", "--out", "/tmp/never.safetensors");
        Assert.Equal(2, code);
        Assert.Contains("entry 1 'x' is not a non-negative integer", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_without_a_supported_architecture_is_refused_naming_the_supported_ones()
    {
        string dir = Directory.CreateTempSubdirectory("expertmix-arch-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["FalconForCausalLM"], "model_type": "falcon"}""");
            var (code, _, stderr) = CliRunner.Run("inspect", "--model", dir);
            Assert.Equal(2, code);
            Assert.Contains("'FalconForCausalLM' is not supported", stderr, StringComparison.Ordinal);
            Assert.Contains("LlamaForCausalLM", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void Bench_model_json_reports_speed_bandwidth_and_memory()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "model", "--model", ModelDir(), "--prefill", "24", "--prompt", "8", "--decode", "8",
            "--reps", "1", "--foreign-limit", "1000", "--json");

        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("LlamaForCausalLM", r.GetProperty("architecture").GetString());
        Assert.True(r.GetProperty("prefill_tok_s").GetDouble() > 0);
        Assert.True(r.GetProperty("decode_tok_s").GetDouble() > 0);
        Assert.Equal(260_032L * 4, r.GetProperty("weight_bytes").GetInt64());
        Assert.Equal(2L * 5 * 4 * 8 * 4 * Math.Max(24, 8 + 8), r.GetProperty("kv_cache_bytes").GetInt64()); // the one cache, sized for the longer workload
        Assert.True(r.GetProperty("prefill_activation_bytes").GetInt64() > 0);
        Assert.True(r.GetProperty("peak_rss_bytes").GetInt64() >= r.GetProperty("weight_bytes").GetInt64());
        Assert.True(r.GetProperty("triad_gbs").GetDouble() > 0);
    }

    [Fact]
    public void Bench_model_needs_exactly_one_of_model_and_preset()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "model", "--json");
        Assert.Equal(2, code);
        Assert.Contains("exactly one of --model DIR or --preset NAME", stderr, StringComparison.Ordinal);
    }
}

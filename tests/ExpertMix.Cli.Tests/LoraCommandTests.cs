// `--adapter DIR[:SCALE]` on the model verbs and `lora inspect`, on the tiny checkpoints and PEFT fixtures of the test tree.
using System.Text.Json;
using ExpertMix.Tensors.IO;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class LoraCommandTests
{
    private static string Model(string name) => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Golden", name);

    private static string Adapter(string model, string name) => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Adapters.Tests", "Golden", $"peft-{model}-{name}");

    private static string Golden(string file) => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Adapters.Tests", "Golden", file);

    [Theory]
    [InlineData("tiny-gpt2")]
    [InlineData("tiny-llama")]
    public void Logits_with_two_weighted_adapters_match_pytorch(string model)
    {
        using var golden = SafetensorsFile.Open(Golden($"lora-logits-{model}.safetensors"));
        using var ids = golden.GetTensor("input_ids");
        using var expected = golden.GetTensor("logits_ab");
        string output = Path.Combine(Path.GetTempPath(), $"expertmix-lora-logits-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (code, _, stderr) = CliRunner.Run("logits", "--model", Model(model), "--adapter", Adapter(model, "a"), "--adapter", Adapter(model, "b") + ":-0.5",
                "--token-ids", string.Join(",", ids.ToInt64Array()), "--out", output);
            Assert.True(code == 0, stderr);
            using var written = SafetensorsFile.Open(output);
            using var logits = written.GetTensor("logits");
            TensorAssert.Close(expected.ToArray(), logits.ToArray(), Tolerances.TinyLogitsAbs, 0, "logits with a − 0.5·b");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void An_adapter_for_another_model_is_a_one_line_error_naming_the_module()
    {
        var (code, _, stderr) = CliRunner.Run("logits", "--model", Model("tiny-gpt2"), "--adapter", Adapter("tiny-llama", "a"), "--token-ids", "1,2", "--out", "/tmp/never.safetensors");
        Assert.Equal(2, code);
        Assert.Contains("error: adapter", stderr);
        Assert.Contains("model.layers.0.self_attn.q_proj", stderr);
        Assert.Contains("warning: adapter", stderr);
        Assert.False(File.Exists("/tmp/never.safetensors"));
    }

    [Fact]
    public void Lora_inspect_json_reports_config_modules_and_delta_norms()
    {
        var (code, stdout, stderr) = CliRunner.Run("lora", "inspect", Adapter("tiny-gpt2", "b"), "--json");
        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(2, r.GetProperty("r").GetInt32());
        Assert.True(r.GetProperty("use_rslora").GetBoolean());
        Assert.Equal(4, r.GetProperty("modules").GetInt32());
        Assert.Equal(4 * 2 * (64 + 64) / 2 + 2 * 2 * (64 + 128), r.GetProperty("parameters").GetInt64());
        var per = r.GetProperty("per_module").EnumerateArray().ToList();
        Assert.All(per, m => Assert.True(m.GetProperty("delta_fro").GetDouble() > 0));
        double total = Math.Sqrt(per.Sum(m => Math.Pow(m.GetProperty("delta_fro").GetDouble(), 2)));
        Assert.Equal(total, r.GetProperty("delta_fro_total").GetDouble(), 9);
    }

    [Theory]
    [InlineData("cat", false)]
    [InlineData("delta-sum", true)]
    public void Lora_merge_outputs_reproduce_the_two_adapters_logits(string method, bool intoBase)
    {
        using var golden = SafetensorsFile.Open(Golden("lora-logits-tiny-llama.safetensors"));
        using var ids = golden.GetTensor("input_ids");
        using var expected = golden.GetTensor("logits_ab");
        string outDir = Path.Combine(Path.GetTempPath(), $"expertmix-merge-{Guid.NewGuid():N}");
        string logitsFile = outDir + ".safetensors";
        try
        {
            var args = new List<string> { "lora", "merge", "-a", Adapter("tiny-llama", "a"), "-a", Adapter("tiny-llama", "b") + ":-0.5", "--method", method, "-o", outDir, "--json" };
            if (intoBase) args.AddRange(["--into-base", Model("tiny-llama")]);
            var (code, stdout, stderr) = CliRunner.Run([.. args]);
            Assert.True(code == 0, stderr);
            var report = JsonDocument.Parse(stdout).RootElement;
            Assert.True(report.GetProperty("composition_error").GetProperty("aggregate").GetDouble() <= 1e-6);
            Assert.Equal(intoBase ? "model" : "adapter", report.GetProperty("kind").GetString());
            string[] run = intoBase
                ? ["logits", "--model", outDir, "--token-ids", string.Join(",", ids.ToInt64Array()), "--out", logitsFile]
                : ["logits", "--model", Model("tiny-llama"), "--adapter", outDir, "--token-ids", string.Join(",", ids.ToInt64Array()), "--out", logitsFile];
            (code, _, stderr) = CliRunner.Run(run);
            Assert.True(code == 0, stderr);
            using var written = SafetensorsFile.Open(logitsFile);
            using var logits = written.GetTensor("logits");
            TensorAssert.Close(expected.ToArray(), logits.ToArray(), Tolerances.TinyLogitsAbs, 0, $"{method} output");
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
            File.Delete(logitsFile);
        }
    }

    [Fact]
    public void Lora_merge_reports_factor_sum_cross_terms_and_refuses_an_unknown_method()
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"expertmix-merge-{Guid.NewGuid():N}");
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("lora", "merge", "-a", Adapter("tiny-gpt2", "a"), "-a", Adapter("tiny-gpt2", "a"), "--method", "factor-sum", "-o", outDir, "--json");
            Assert.True(code == 0, stderr);
            // the same adapter twice: (2B)(2A)·s = 4ΔW against the target 2ΔW → relative error exactly 1
            Assert.Equal(1.0, JsonDocument.Parse(stdout).RootElement.GetProperty("composition_error").GetProperty("aggregate").GetDouble(), 5);
            (code, _, stderr) = CliRunner.Run("lora", "merge", "-a", Adapter("tiny-gpt2", "a"), "--method", "average-of-vibes", "-o", outDir + "x");
            Assert.Equal(2, code);
            Assert.Contains("unknown merge method", stderr);
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public void Lora_analyze_json_gives_the_pairwise_matrix_and_a_heatmap()
    {
        string svg = Path.Combine(Path.GetTempPath(), $"expertmix-ortho-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("lora", "analyze", "-a", Adapter("tiny-gpt2", "a"), "-a", Adapter("tiny-gpt2", "b"), "-a", Adapter("tiny-gpt2", "a") + ":-1", "--svg", svg, "--json");
            Assert.True(code == 0, stderr);
            var r = JsonDocument.Parse(stdout).RootElement;
            var rms = r.GetProperty("rms_cosine").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            Assert.Equal(1.0, rms[0][0], 9);
            Assert.Equal(1.0, rms[0][2], 6);                        // the same adapter, negated: RMS is sign-insensitive
            Assert.InRange(rms[0][1], 0, 0.5);
            Assert.Equal(-1.0, r.GetProperty("global_cosine")[0][2].GetDouble(), 6);
            var pairs = r.GetProperty("pairs").EnumerateArray().ToList();
            Assert.Equal(3, pairs.Count);
            Assert.Equal(2, pairs[0].GetProperty("common_modules").GetInt32());     // a and b share attn.c_proj in 2 layers
            var doc = System.Xml.Linq.XDocument.Load(svg);
            Assert.Equal(9, doc.Descendants(System.Xml.Linq.XName.Get("rect", "http://www.w3.org/2000/svg")).Count() - 1);
            (code, _, stderr) = CliRunner.Run("lora", "analyze", "-a", Adapter("tiny-gpt2", "a"));
            Assert.Equal(2, code);
            Assert.Contains("at least two", stderr);
        }
        finally
        {
            File.Delete(svg);
        }
    }
}

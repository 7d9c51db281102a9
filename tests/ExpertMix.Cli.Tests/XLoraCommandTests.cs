// The X-LoRA verbs: `logits --xlora` against PyTorch, `xlora inspect|convert`, and on stories260K the whole path
// lora train → xlora train → score / generate / logits --xlora → xlora scalings.
using System.Text.Json;
using System.Xml.Linq;
using ExpertMix.Tensors.IO;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class XLoraCommandTests
{
    private static string Golden(string name) => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Adapters.Tests", "Golden", name);

    private static string TinyModel(string name) => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Golden", name);

    [Theory]
    [InlineData("tiny-llama", "xlora-tiny-llama")]
    [InlineData("tiny-llama", "xlora-tiny-llama-peft")]
    [InlineData("tiny-gpt2", "xlora-tiny-gpt2")]
    public void Logits_with_an_xlora_checkpoint_match_pytorch(string model, string fixture)
    {
        using var golden = SafetensorsFile.Open(Golden($"xlora-forward-{model}.safetensors"));
        var ids = golden.GetTensor("input_ids").ToInt64Array();
        var expected = golden.GetTensor("logits").ToArray();
        string output = Path.Combine(Path.GetTempPath(), $"expertmix-xlora-logits-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (code, _, stderr) = CliRunner.Run("logits", "--model", TinyModel(model), "--xlora", Golden(fixture), "--token-ids", string.Join(",", ids.Take(8)), "--out", output);
            Assert.True(code == 0, stderr);
            using var written = SafetensorsFile.Open(output);
            TensorAssert.Close(expected.AsSpan(0, expected.Length / 2), written.GetTensor("logits").ToArray(), Tolerances.TinyLogitsAbs, 0, "row 0 logits");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Inspect_reports_knobs_experts_and_the_module_numbering_and_convert_round_trips()
    {
        var (code, stdout, stderr) = CliRunner.Run("xlora", "inspect", Golden("xlora-tiny-llama"), "--model", TinyModel("tiny-llama"), "--json");
        Assert.True(code == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("original", r.GetProperty("layout").GetString());
        Assert.Equal(["a", "b", "c"], r.GetProperty("experts").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.Equal(14, r.GetProperty("adapted_modules").GetInt32());
        Assert.Equal("model.layers.0.self_attn.q_proj", r.GetProperty("layers")[0].GetString());
        Assert.Equal(2, r.GetProperty("xlora_depth").GetInt32());
        string dst = Path.Combine(Path.GetTempPath(), $"expertmix-xlora-peft-{Guid.NewGuid():N}");
        try
        {
            (code, _, stderr) = CliRunner.Run("xlora", "convert", Golden("xlora-tiny-llama"), dst, "--to", "peft");
            Assert.True(code == 0, stderr);
            (code, stdout, stderr) = CliRunner.Run("xlora", "inspect", dst, "--json");
            Assert.True(code == 0, stderr);
            Assert.Equal("peft", JsonDocument.Parse(stdout).RootElement.GetProperty("layout").GetString());
        }
        finally
        {
            if (Directory.Exists(dst)) Directory.Delete(dst, recursive: true);
        }
    }

    [Fact]
    public void Adapter_and_xlora_together_are_refused_with_a_clear_error()
    {
        var (code, _, stderr) = CliRunner.Run("logits", "--model", TinyModel("tiny-llama"), "--xlora", Golden("xlora-tiny-llama"),
            "--adapter", Golden("peft-tiny-llama-a"), "--token-ids", "1,2,3", "--out", Path.Combine(Path.GetTempPath(), "unused.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("--adapter and --xlora", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Experts_then_a_gate_trained_from_the_cli_beat_the_base_and_feed_generate_score_and_scalings()
    {
        string model = SharedData.Require("models/stories260K");
        string dir = Path.Combine(Path.GetTempPath(), $"expertmix-xlora-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string Write(string name, Func<int, object> row, int count, int offset)
            {
                string path = Path.Combine(dir, name);
                File.WriteAllLines(path, Enumerable.Range(offset, count).Select(i => JsonSerializer.Serialize(row(i))));
                return path;
            }
            object Count(int i) => new { prompt = $"Count: {i % 40}, {i % 40 + 1}, {i % 40 + 2},", completion = $" {i % 40 + 3}, {i % 40 + 4}." };
            object Story(int i) => new { prompt = $"{(i % 2 == 0 ? "Tom" : "Lily")} had {2 + i % 7} red balls.", completion = $" {(i % 2 == 0 ? "Tom" : "Lily")} gave one to a friend and was happy." };
            string count = Write("count.jsonl", Count, 120, 0), story = Write("story.jsonl", Story, 120, 0);
            string mix = Write("mix.jsonl", i => i % 2 == 0 ? Count(i) : Story(i), 160, 200), heldOut = Write("heldout.jsonl", i => i % 2 == 0 ? Count(i) : Story(i), 40, 500);
            string Train(params string[] args)
            {
                var (c, o, e) = CliRunner.Run([.. args, "--json"]);
                Assert.True(c == 0, e);
                var s = JsonDocument.Parse(o).RootElement;
                Assert.Equal("completed", s.GetProperty("status").GetString());
                return s.TryGetProperty("xlora", out var x) ? x.GetString()! : s.GetProperty("adapter").GetString()!;
            }
            string[] lora = ["-m", model, "--max-steps", "60", "--lr", "3e-3", "--batch-size", "8", "--max-length", "48", "--targets", "all-linear", "--rank", "4"];
            string countAdapter = Train(["lora", "train", "-d", count, "-o", Path.Combine(dir, "count"), .. lora]);
            string storyAdapter = Train(["lora", "train", "-d", story, "-o", Path.Combine(dir, "story"), .. lora]);
            string xlora = Train("xlora", "train", "-m", model, "--adapter", $"count={countAdapter}", "--adapter", $"story={storyAdapter}", "-d", mix,
                "-o", Path.Combine(dir, "gate"), "--layerwise", "--depth", "2", "--size", "32", "--max-steps", "60", "--lr", "1e-3", "--batch-size", "8", "--max-length", "48");

            double Ppl(params string[] extra)
            {
                var (c, o, e) = CliRunner.Run(["score", "-m", model, "--data", heldOut, "--json", .. extra]);
                Assert.True(c == 0, e);
                return JsonDocument.Parse(o).RootElement.GetProperty("perplexity").GetDouble();
            }
            double base0 = Ppl(), onlyCount = Ppl("--adapter", countAdapter), onlyStory = Ppl("--adapter", storyAdapter), mixed = Ppl("--xlora", xlora);
            Assert.True(mixed < base0 && mixed < onlyCount && mixed < onlyStory, $"held-out perplexity: base {base0:F2}, count {onlyCount:F2}, story {onlyStory:F2}, X-LoRA {mixed:F2}");

            string Generate(params string[] extra)
            {
                var (c, o, e) = CliRunner.Run(["generate", "-m", model, "--xlora", xlora, "--prompt", "Lily had 3 red balls.", "--max-new-tokens", "10", "--json", .. extra]);
                Assert.True(c == 0, e);
                return JsonDocument.Parse(o).RootElement.GetProperty("text").GetString()!;
            }
            Assert.Equal(Generate(), Generate("--xlora-cache", "none"));

            string svg = Path.Combine(dir, "heat.svg"), json = Path.Combine(dir, "heat.json");
            var (code, _, stderr) = CliRunner.Run("xlora", "scalings", "-m", model, "--xlora", xlora, "--prompt", "Count: 5, 6, 7, Tom had 3 red balls.", "-n", "4", "--out", svg, "--json", json);
            Assert.True(code == 0, stderr);
            var doc = XDocument.Load(svg);
            Assert.Contains("count", doc.ToString(), StringComparison.Ordinal);
            Assert.Contains("story", doc.ToString(), StringComparison.Ordinal);
            var report = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            Assert.Equal(["count", "story"], report.GetProperty("adapters").EnumerateArray().Select(a => a.GetString()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

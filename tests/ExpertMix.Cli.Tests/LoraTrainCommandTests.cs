// `lora train` end to end on the real stories260K model: it learns (held-out perplexity falls), resumes, and writes PEFT files.
using System.Text.Json;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class LoraTrainCommandTests
{
    [SkippableFact]
    public void Training_lowers_perplexity_and_a_resumed_run_continues_from_the_latest_checkpoint()
    {
        string model = SharedData.Require("models/stories260K");
        string dir = Path.Combine(Path.GetTempPath(), $"expertmix-train-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string data = Path.Combine(dir, "data.jsonl"), heldOut = Path.Combine(dir, "heldout.jsonl"), outDir = Path.Combine(dir, "run");
        var rows = Enumerable.Range(0, 60).Select(i => JsonSerializer.Serialize(new { prompt = $"Tom has {i} apples. How many apples does Tom have?\n", completion = $"Tom has {i} apples." })).ToList();
        File.WriteAllLines(data, rows.Take(50));
        File.WriteAllLines(heldOut, rows.Skip(50));
        try
        {
            string[] train = ["lora", "train", "-m", model, "-d", data, "-o", outDir, "--max-steps", "24", "--max-length", "64", "--lr", "3e-3", "--batch-size", "4",
                "--targets", "all-linear", "--rank", "4", "--save-every", "12", "--validation", "5", "--json"];
            var (code, stdout, stderr) = CliRunner.Run([.. train]);
            Assert.True(code == 0, stderr);
            var summary = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal("completed", summary.GetProperty("status").GetString());
            string adapter = summary.GetProperty("adapter").GetString()!;
            Assert.True(File.Exists(Path.Combine(adapter, "adapter_model.safetensors")));
            Assert.True(File.Exists(Path.Combine(outDir, "metrics.jsonl")));

            double Ppl(params string[] extra)
            {
                var (c, o, e) = CliRunner.Run(["score", "-m", model, "--data", heldOut, "--json", .. extra]);
                Assert.True(c == 0, e);
                return JsonDocument.Parse(o).RootElement.GetProperty("perplexity").GetDouble();
            }
            double before = Ppl(), after = Ppl("--adapter", adapter);
            Assert.True(after < 0.5 * before, $"held-out perplexity {before:F1} → {after:F1}");

            // resume from the step-12 checkpoint and retrain to step 24: the same final loss as the uninterrupted run
            Directory.Delete(Path.Combine(outDir, "checkpoints", "step-00000024"), recursive: true);
            (code, stdout, stderr) = CliRunner.Run([.. train, "--resume", "latest"]);
            Assert.True(code == 0, stderr);
            Assert.Equal(summary.GetProperty("last_loss").GetDouble(), JsonDocument.Parse(stdout).RootElement.GetProperty("last_loss").GetDouble());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

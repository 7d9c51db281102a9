// `svf train` end to end on tiny-llama with a byte-level tokenizer (no ../shared needed): policy and sft runs write a
// loadable SVF expert, resume continues, and bad input is a clear error.
using System.Text.Json;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class SvfTrainCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"expertmix-svf-train-{Guid.NewGuid():N}");

    public SvfTrainCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>tiny-llama (256-token vocabulary) plus a tokenizer.json with one token per byte.</summary>
    private string ByteModel()
    {
        string dir = Path.Combine(_dir, "model");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Golden", "tiny-llama"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        ByteTokenizerFile.Write(dir);
        return dir;
    }

    private string McData(string name, int rows, int offset)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllLines(path, Enumerable.Range(offset, rows).Select(i => JsonSerializer.Serialize(new { id = $"q{i}", question = $"{i}+{i}?", choices = new[] { $"{2 * i}", $"{i}" }, answer = i % 2 })));
        return path;
    }

    private static void AssertExpertLoads(string model, string outDir, string expertDir, string mode)
    {
        using var lm = CausalLm.Load(model, new LoadOptions(DType: DTypePolicy.F32));
        using var basis = SvfBasis.Load(Path.Combine(outDir, SvfBasis.FileName), lm);
        using var expert = SvfExpert.Load(expertDir, basis);
        Assert.Equal(mode, expert.Config!.TrainingMode);
        var targeted = basis.Targets.Resolve(lm);                                              // the matrices the basis decomposed
        Assert.Equal(targeted.Count, expert.Parameters.Count);
        Assert.Equal(6, targeted.Count);                                                       // gate/up/down × 2 layers
    }

    [Fact]
    public void Grpo_trains_a_few_iterations_writes_a_loadable_expert_and_resumes()
    {
        string model = ByteModel(), outDir = Path.Combine(_dir, "run");
        string[] args = ["svf", "train", "--model", model, "--data", McData("train.jsonl", 6, 0), "--dev", McData("dev.jsonl", 2, 100), "--task", "mc-jsonl",
            "--mode", "grpo", "--out", outDir, "--iterations", "4", "--batch", "2", "--group", "2", "--max-new-tokens", "4", "--eval-every", "2", "--lr", "0.05", "--json"];
        var (code, stdout, stderr) = CliRunner.Run([.. args]);
        Assert.True(code == 0, stderr);
        var summary = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(4, summary.GetProperty("iterations").GetInt32());
        Assert.Equal(6, summary.GetProperty("train_examples").GetInt32());
        Assert.Equal(2, summary.GetProperty("dev_examples").GetInt32());
        Assert.InRange(summary.GetProperty("best_dev_accuracy").GetDouble(), 0, 1);
        string expert = summary.GetProperty("expert").GetString()!;
        AssertExpertLoads(model, outDir, expert, "grpo");
        var lines = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl"));
        Assert.Equal(4, lines.Count(l => l.Contains("\"reward\"", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.Contains("\"dev_accuracy\"", StringComparison.Ordinal)));

        // a fresh start into the same folder is refused; --resume from step 2 ends at the same loss
        (code, _, stderr) = CliRunner.Run([.. args]);
        Assert.NotEqual(0, code);
        Assert.Contains("resume", stderr, StringComparison.Ordinal);
        Directory.Delete(Path.Combine(outDir, "checkpoints", "step-00000004"), recursive: true);
        (code, stdout, stderr) = CliRunner.Run([.. args, "--resume", "latest"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("resuming at step 2 of 4", stderr, StringComparison.Ordinal);
        Assert.Equal(summary.GetProperty("last_loss").GetDouble(), JsonDocument.Parse(stdout).RootElement.GetProperty("last_loss").GetDouble());
    }

    [Fact]
    public void Sft_trains_on_completions_and_writes_a_loadable_expert()
    {
        string model = ByteModel(), outDir = Path.Combine(_dir, "sft");
        string data = Path.Combine(_dir, "sft.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i => JsonSerializer.Serialize(new { prompt = $"{i}+1=", completion = $"{i + 1}" })));
        var (code, stdout, stderr) = CliRunner.Run("svf", "train", "--model", model, "--data", data, "--task", "sft", "--mode", "sft", "--out", outDir,
            "--iterations", "6", "--batch", "4", "--eval-every", "3", "--lr", "0.05", "--clip", "0", "--max-length", "16", "--json");
        Assert.True(code == 0, stderr);
        var summary = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(6, summary.GetProperty("steps").GetInt32());
        AssertExpertLoads(model, outDir, summary.GetProperty("expert").GetString()!, "sft");
    }

    [Fact]
    public void A_policy_mode_without_a_verifier_is_a_clear_error()
    {
        string model = ByteModel();
        var (code, _, stderr) = CliRunner.Run("svf", "train", "--model", model, "--data", McData("x.jsonl", 2, 0), "--task", "sft", "--mode", "reinforce", "--out", Path.Combine(_dir, "bad"));
        Assert.Equal(2, code);
        Assert.Contains("verifier", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_starts_a_policy_run_from_an_sft_expert()
    {
        string model = ByteModel(), sftDir = Path.Combine(_dir, "sft-init");
        string data = Path.Combine(_dir, "sft-init.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i => JsonSerializer.Serialize(new { prompt = $"{i}+1=", completion = $"{i + 1}" })));
        var (code, stdout, stderr) = CliRunner.Run("svf", "train", "--model", model, "--data", data, "--task", "sft", "--mode", "sft", "--out", sftDir,
            "--iterations", "4", "--batch", "4", "--lr", "0.2", "--clip", "0", "--max-length", "16", "--json");
        Assert.True(code == 0, stderr);
        string sftExpert = JsonDocument.Parse(stdout).RootElement.GetProperty("expert").GetString()!;

        // a policy run whose step is negligible (lr 1e-12) exports the p it started from: the sft expert's, not the §5 init
        string policyDir = Path.Combine(_dir, "policy-init");
        (code, stdout, stderr) = CliRunner.Run("svf", "train", "--model", model, "--data", McData("pi.jsonl", 4, 0), "--dev", McData("pd.jsonl", 2, 50),
            "--task", "mc-jsonl", "--mode", "reinforce", "--out", policyDir, "--basis", Path.Combine(sftDir, SvfBasis.FileName), "--init", sftExpert,
            "--iterations", "1", "--batch", "2", "--max-new-tokens", "2", "--lr", "1e-12", "--json");
        Assert.True(code == 0, stderr);
        string policyExpert = JsonDocument.Parse(stdout).RootElement.GetProperty("expert").GetString()!;
        using var lm = CausalLm.Load(model, new LoadOptions(DType: DTypePolicy.F32));
        using var basis = SvfBasis.Load(Path.Combine(sftDir, SvfBasis.FileName), lm);
        using var a = SvfExpert.Load(sftExpert, basis);
        using var b = SvfExpert.Load(policyExpert, basis);
        double moved = 0;
        foreach (var (name, p) in a.Parameters)
        {
            float[] x = p.ToArray(), y = b.Find(name)!.ToArray();
            for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], y[i], 1e-6f);
            moved += x.Sum(v => Math.Abs(v - 0.1));
        }
        Assert.True(moved > 1e-2, "the sft expert should differ from the §5 initialisation, or the test proves nothing");

        (code, _, stderr) = CliRunner.Run("svf", "train", "--model", model, "--data", McData("pj.jsonl", 4, 0), "--task", "mc-jsonl", "--mode", "reinforce",
            "--out", Path.Combine(_dir, "no-init"), "--init", Path.Combine(_dir, "missing"), "--iterations", "1");
        Assert.Equal(2, code);
        Assert.Contains("--init", stderr, StringComparison.Ordinal);
    }
}

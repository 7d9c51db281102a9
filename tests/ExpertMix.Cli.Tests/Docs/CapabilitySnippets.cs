// The C# and CLI snippets of docs/lora.md, merging.md and orthogonality.md, run on tiny models and committed PEFT fixtures;
// each C# result is checked against the CLI's for the same options (same bits).
using System.Text.Json;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Docs;

[Collection("Console")]
public sealed class CapabilitySnippets
{
    // docs/lora.md: the same run from the CLI ($M model, $D data, $W work folder).
    private const string LoraCli = """
        #region snippet:lora-cli
        expertmix lora train -m $M --data $D --out $W/math --rank 8 --alpha 16 --targets q_proj,v_proj \
          --max-steps 20 --lr 2e-3 --eval-every 10 --max-length 64 --batch-size 4 --json
        expertmix lora inspect $W/math/adapter                           # rank, alpha, targets, modules
        expertmix generate -m $M --adapter $W/math/adapter --prompt "3 + 1 = " --max-new-tokens 4 --json
        expertmix score -m $M --adapter $W/math/adapter --data $D --json   # perplexity on the completions
        #endregion
        """;

    // docs/merging.md ($A, $B PEFT adapters for the base $M).
    private const string MergingCli = """
        #region snippet:merging-cli
        expertmix lora merge --adapter $A --adapter $B:0.5 --method cat --out $W/cat --json
        expertmix lora merge --adapter $A --adapter $B --method ties --density 0.5 --out $W/ties --json   # dense, re-compressed
        expertmix lora inspect $W/ties
        expertmix generate -m $M --adapter $W/cat --prompt "Once upon a time" --max-new-tokens 8
        #endregion
        """;

    // docs/orthogonality.md.
    private const string OrthogonalityCli = """
        #region snippet:orthogonality-cli
        expertmix lora analyze --adapter $A --adapter $B --svg $W/ortho.svg --json
        expertmix lora analyze --adapter $A --adapter $B:-1 --per-module                 # a negative weight flips signed cosines
        #endregion
        """;

    private static string MathData(string work)
    {
        string dataFile = Path.Combine(work, "math.jsonl");
        File.WriteAllLines(dataFile, Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new { prompt = $"{i} + 1 = ", completion = $"{i + 1}" })));
        return dataFile;
    }

    private static int RankOf(LoraAdapter adapter, string module) => adapter.Modules.TryGetValue(module, out var m) ? m.Rank : 0;

    private static byte[] Weights(string adapterDir) => File.ReadAllBytes(Path.Combine(adapterDir, "adapter_model.safetensors"));

    [Fact]
    public void Lora_train_save_and_generate_as_the_cli_does()
    {
        string modelDir = TinyChatLlama.Write();
        string work = DocFixtures.TempDirectory("lora");
        try
        {
            string dataFile = MathData(work);
            string outDir = Path.Combine(work, "runs", "math");
            using var console = new ConsoleCapture();

            #region snippet:lora-train
            using var model = CausalLm.Load(modelDir, LoadOptions.Default with { DType = DTypePolicy.F32 });   // train on f32 weights, as the CLI does
            var tokenizer = Tokenizer.FromDirectory(modelDir);
            var options = new LoraTrainingOptions
            {
                Lora = new LoraConfig { Rank = 8, Alpha = 16, TargetModules = TargetModules.List(["q_proj", "v_proj"]) },   // PEFT init: A Kaiming-uniform, B = 0
                Trainer = new TrainerOptions { OutputDirectory = outDir, MaxSteps = 20, LearningRate = 2e-3, EvalEvery = 10 },
                Data = new DataOptions { MaxLength = 64 },
                BatchSize = 4,
            };
            using var trained = LoraAdapter.Train(model, tokenizer, [dataFile], options);   // = `expertmix lora train` with these options
            var summary = trained.Summary;
            Console.WriteLine($"{summary.Status}: loss {summary.LastLoss:F3}, best validation {summary.BestValidationLoss:F3}, PEFT adapter in {summary.ArtifactDirectory}");

            using var host = new LoraHost(model);                              // attach it (unmerged) and generate
            host.Add(LoraAdapter.Load(summary.ArtifactDirectory!), weight: 1f);
            var answer = model.Generate(tokenizer, "3 + 1 = ", new GenerationOptions { MaxNewTokens = 4 });
            #endregion

            Assert.Equal(TrainingStatus.Completed, summary.Status);
            Assert.Equal(20, summary.StepsCompleted);
            Assert.True(File.Exists(Path.Combine(outDir, "metrics.jsonl")));
            Assert.Equal(4, trained.Adapter!.Modules.Count);                   // 2 layers × {q_proj, v_proj}
            Assert.Contains(trained.Adapter.Modules.Values, m => m.B.ToArray().Any(v => v != 0));   // B left its zero init
            Assert.Contains(summary.ArtifactDirectory!, console.Text, StringComparison.Ordinal);

            var steps = CliScript.Run(LoraCli, new Dictionary<string, string> { ["M"] = modelDir, ["D"] = dataFile, ["W"] = work });
            Assert.All(steps, s => Assert.True(s.Code == 0, $"{s.Line}\n{s.Err}"));
            Assert.Equal(4, steps.Count);
            Assert.Equal(Weights(summary.ArtifactDirectory!), Weights(Path.Combine(work, "math", "adapter")));   // the same bits as the CLI
            var cliAnswer = JsonDocument.Parse(steps[2].Out).RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32());
            Assert.Equal(answer.TokenIds, cliAnswer);
            Assert.True(JsonDocument.Parse(steps[3].Out).RootElement.GetProperty("perplexity").GetDouble() > 1);
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }

    [Fact]
    public void Merging_as_the_cli_does()
    {
        string mathDir = DocFixtures.AdapterGolden("peft-tiny-llama-a"), codeDir = DocFixtures.AdapterGolden("peft-tiny-llama-b");
        string modelDir = DocFixtures.TinyLlamaWithTokenizer();
        string work = DocFixtures.TempDirectory("merged");
        string outDir = Path.Combine(work, "api-cat");
        try
        {
            using var console = new ConsoleCapture();

            #region snippet:merging
            using var math = LoraAdapter.Load(mathDir);
            using var code = LoraAdapter.Load(codeDir);
            using var cat = LoraAdapter.Merge([math, code], new LoraMergeOptions { Method = MergeMethod.Cat, Weights = [1f, 0.5f] });   // exact: rank r₁ + r₂
            cat.Adapter.Save(outDir);                                         // a PEFT adapter again
            Console.WriteLine($"cat: composition error {cat.CompositionError.Aggregate:E1}");

            var tiesOptions = new LoraMergeOptions { Method = MergeMethod.Ties, Parameters = new MergeOptions { Density = 0.5 } };   // dense ΔW, then truncated SVD
            using var ties = LoraAdapter.Merge([math, code], tiesOptions);
            Console.WriteLine($"ties: error {ties.CompositionError.Aggregate:F3}; rank {ties.Adapter.Modules.Values.Max(m => m.Rank)} within {ties.RecompressionError!.Max:P1} of the dense merge");
            #endregion

            Assert.True(cat.CompositionError.Aggregate < 1e-5, $"{cat.CompositionError}");
            Assert.False(cat.IsRecompressed);
            Assert.Equal(math.Modules.Keys.Union(code.Modules.Keys).Count(), cat.Adapter.Modules.Count);   // each module of either adapter
            Assert.All(cat.Adapter.Modules.Values, m => Assert.Equal(RankOf(math, m.ModulePath) + RankOf(code, m.ModulePath), m.Rank));
            Assert.True(ties.IsRecompressed);
            Assert.True(ties.CompositionError.Aggregate > 0);
            Assert.True(ties.RecompressionError!.Max <= 0.01 + 1e-9, $"{ties.RecompressionError}");   // the default: within 1% per module
            Assert.Contains("ties: error", console.Text, StringComparison.Ordinal);
            ties.Adapter.Save(Path.Combine(work, "api-ties"));

            var steps = CliScript.Run(MergingCli, new Dictionary<string, string> { ["M"] = modelDir, ["A"] = mathDir, ["B"] = codeDir, ["W"] = work });
            Assert.All(steps, s => Assert.True(s.Code == 0, $"{s.Line}\n{s.Err}"));
            Assert.Equal(4, steps.Count);
            Assert.Equal(Weights(outDir), Weights(Path.Combine(work, "cat")));
            Assert.Equal(Weights(Path.Combine(work, "api-ties")), Weights(Path.Combine(work, "ties")));
            var tiesReport = JsonDocument.Parse(steps[1].Out).RootElement;
            Assert.Equal("adapter (re-compressed)", tiesReport.GetProperty("kind").GetString());
            Assert.Equal(ties.CompositionError.Aggregate, tiesReport.GetProperty("composition_error").GetProperty("aggregate").GetDouble());
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }

    [Fact]
    public void Orthogonality_as_the_cli_reports_it()
    {
        string mathDir = DocFixtures.AdapterGolden("peft-tiny-llama-a"), codeDir = DocFixtures.AdapterGolden("peft-tiny-llama-b");
        string work = DocFixtures.TempDirectory("ortho");
        try
        {
            using var console = new ConsoleCapture();

            #region snippet:orthogonality
            using var math = LoraAdapter.Load(mathDir);
            using var code = LoraAdapter.Load(codeDir);
            var pair = Orthogonality.Compare(math, code);                      // effective deltas s·B·A, from Gram traces
            Console.WriteLine($"RMS cosine {pair.RmsCosine:F4} over {pair.CommonModules} modules = {pair.RmsToFloor:F1}× the random floor {pair.RandomFloor:F4}");

            var matrix = Orthogonality.Pairwise([new MergeInput(math, 1f), new MergeInput(code, -1f)]);   // N×N; a negative weight flips signed cosines
            double signed = matrix[0, 1].MeanSignedCosine;
            #endregion

            Assert.InRange(pair.RmsCosine, 0, 1);
            Assert.Equal(pair.RmsCosine, matrix[0, 1].RmsCosine, 12);          // RMS is sign-insensitive
            Assert.Equal(-pair.MeanSignedCosine, signed, 12);
            Assert.Equal(1, matrix[0, 0].RmsCosine, 9);                         // cos(i, i) = 1
            Assert.Contains("random floor", console.Text, StringComparison.Ordinal);

            var steps = CliScript.Run(OrthogonalityCli, new Dictionary<string, string> { ["A"] = mathDir, ["B"] = codeDir, ["W"] = work });
            Assert.All(steps, s => Assert.True(s.Code == 0, $"{s.Line}\n{s.Err}"));
            Assert.Equal(2, steps.Count);
            var rms = JsonDocument.Parse(steps[0].Out).RootElement.GetProperty("rms_cosine");
            Assert.Equal(pair.RmsCosine, rms[0][1].GetDouble(), 12);
            Assert.True(File.Exists(Path.Combine(work, "ortho.svg")));
        }
        finally
        {
            DocFixtures.Delete(work);
        }
    }
}

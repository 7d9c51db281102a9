// The C# snippets of docs/lora.md, merging.md, xlora.md and transformer2.md, run on tiny models and committed reference fixtures.
using System.Text.Json;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Docs;

[Collection("Console")]
public sealed class CapabilitySnippets
{
    [Fact]
    public void Lora_train_and_save_a_peft_adapter()
    {
        string modelDir = TinyChatLlama.Write();
        string work = DocFixtures.TempDirectory("lora");
        try
        {
            string dataFile = Path.Combine(work, "math.jsonl");
            File.WriteAllLines(dataFile, Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new { prompt = $"{i} + 1 = ", completion = $"{i + 1}" })));
            string outDir = Path.Combine(work, "runs", "math");
            using var console = new ConsoleCapture();

            #region snippet:lora-train
            using var model = CausalLm.Load(modelDir, LoadOptions.Default with { DType = DTypePolicy.F32 });   // train on f32 weights
            var tokenizer = Tokenizer.FromDirectory(modelDir);
            var data = TrainingData.Load([dataFile], tokenizer, new DataOptions { MaxLength = 64 }, ValidationSize.OfFraction(0.1), splitSeed: 1);
            using var host = new LoraHost(model);
            var config = new LoraConfig { Rank = 8, Alpha = 16, TargetModules = TargetModules.List(["q_proj", "v_proj"]) };
            var adapter = host.CreateAdapter("math", config, new Rng(1));   // PEFT init: A Kaiming-uniform, B = 0
            var summary = Trainer.Run(new LoraTrainable(host, adapter), data.CreateTrainSource(batchSize: 4, seed: 1), () => data.ValidationBatches(batchSize: 4),
                new TrainerOptions { OutputDirectory = outDir, MaxSteps = 20, LearningRate = 2e-3, EvalEvery = 10 });
            Console.WriteLine($"{summary.Status}: loss {summary.LastLoss:F3}, best validation {summary.BestValidationLoss:F3}, PEFT adapter in {summary.ArtifactDirectory}");
            #endregion

            Assert.Equal(TrainingStatus.Completed, summary.Status);
            Assert.Equal(20, summary.StepsCompleted);
            Assert.True(File.Exists(Path.Combine(outDir, "metrics.jsonl")));
            using var saved = PeftFormat.Load(summary.ArtifactDirectory!);
            Assert.Equal(4, saved.Modules.Count);           // 2 layers × {q_proj, v_proj}
            Assert.Contains(summary.ArtifactDirectory!, console.Text, StringComparison.Ordinal);
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }

    [Fact]
    public void Merging_and_orthogonality()
    {
        string mathDir = DocFixtures.AdapterGolden("peft-tiny-llama-a"), codeDir = DocFixtures.AdapterGolden("peft-tiny-llama-b");
        string outDir = DocFixtures.TempDirectory("merged");
        try
        {
            using var console = new ConsoleCapture();

            #region snippet:merging
            using var math = PeftFormat.Load(mathDir);
            using var code = PeftFormat.Load(codeDir);
            using var merged = LoraMerger.Merge([new MergeInput(math, 1f), new MergeInput(code, 0.5f)], MergeMethod.Cat);   // exact: rank r₁ + r₂
            PeftFormat.Save(merged.Adapter!, outDir);                       // a PEFT adapter again
            Console.WriteLine($"cat: composition error {merged.CompositionError.Aggregate:E1}");

            using var ties = LoraMerger.Merge([new MergeInput(math, 1f), new MergeInput(code, 1f)], MergeMethod.Ties, new MergeOptions { Density = 0.5 });
            Console.WriteLine($"ties: dense ΔW for {ties.DenseDeltas!.Count} modules, error {ties.CompositionError.Aggregate:F3}");

            var pair = Orthogonality.Compare(math, code);
            Console.WriteLine($"RMS cosine {pair.RmsCosine:F4} over {pair.CommonModules} modules (random floor {pair.RandomFloor:F4})");
            #endregion

            Assert.True(merged.CompositionError.Aggregate < 1e-5, $"{merged.CompositionError}");
            using var reloaded = PeftFormat.Load(outDir);
            Assert.Equal(math.Modules.Keys.Union(code.Modules.Keys).Count(), reloaded.Modules.Count);   // each module of either adapter
            Assert.Null(ties.Adapter);
            Assert.True(ties.CompositionError.Aggregate > 0);
            Assert.InRange(pair.RmsCosine, 0, 1);
            Assert.Contains("RMS cosine", console.Text, StringComparison.Ordinal);
        }
        finally
        {
            DocFixtures.Delete(outDir);
        }
    }

    [Fact]
    public void Xlora_load_and_generate()
    {
        string modelDir = DocFixtures.TinyLlamaWithTokenizer();
        string xloraDir = DocFixtures.AdapterGolden("xlora-tiny-llama");   // written by the original xlora package
        try
        {
            #region snippet:xlora
            using var xl = XLoraFormat.Load(CausalLm.Load(modelDir), xloraDir);   // either layout; validates everything; owns the model
            xl.ScalingsLog.Enabled = true;
            var generator = new Generator(xl, Tokenizer.FromDirectory(modelDir));
            var text = generator.Generate("Mia had 4 big cats.", new GenerationOptions { MaxNewTokens = 16 }).Text;
            var first = xl.ScalingsLog.Entries[0];                   // λ of the prefill: [batch, tokens, layers, experts]
            float lambda = first.At(b: 0, t: 0, layer: 0, expert: 0);
            #endregion

            Assert.NotNull(text);
            Assert.Equal(3, first.Experts);
            Assert.Equal(19, first.Tokens);                          // the prompt's bytes
            float sum = Enumerable.Range(0, first.Experts).Sum(e => first.At(0, 0, 0, e));
            Assert.Equal(1f, sum, 1e-5f);                            // softmax over the experts
            Assert.InRange(lambda, 0f, 1f);
        }
        finally
        {
            DocFixtures.Delete(modelDir);
        }
    }

    [Fact]
    public void Transformer2_two_pass_generation()
    {
        string modelDir = TinyChatLlama.Write(seed: 21);
        string experts = DocFixtures.TempDirectory("svf");
        try
        {
            // Stand-ins for experts from `expertmix svf train`: random SVF vectors saved in the expert format.
            string mathDir = Path.Combine(experts, "math"), codeDir = Path.Combine(experts, "code");
            using (var m = CausalLm.Load(modelDir))
            using (var b = SvfBasis.Decompose(m))
            {
                foreach (var (dir, seed) in new[] { (mathDir, 1UL), (codeDir, 2UL) })
                {
                    using var e = SvfExpert.CreateInitial(Path.GetFileName(dir), b, new Rng(seed), mean: 0, std: 1.5);
                    e.Save(dir);
                }
            }

            #region snippet:transformer2
            using var model = CausalLm.Load(modelDir);
            var basis = SvfBasis.LoadOrDecompose(Path.Combine(modelDir, SvfBasis.FileName), model);   // the `svf decompose` cache
            var host = new SvfHost(model, basis);
            var chat = ChatTemplate.FromTokenizerConfig(Path.Combine(modelDir, "tokenizer_config.json"));
            var generator = new Generator(model, Tokenizer.FromDirectory(modelDir), chat);
            var byCategory = new Dictionary<string, SvfExpert> { ["math"] = SvfExpert.Load(mathDir, basis, "math"), ["code"] = SvfExpert.Load(codeDir, basis, "code") };
            using var t2 = new Transformer2(generator, host, byCategory, new Transformer2Options { Strategy = T2Strategy.LabelScore });   // owns host, basis, experts
            var answer = t2.Generate("What is 12 + 30?", new GenerationOptions { MaxNewTokens = 16 });
            Console.WriteLine($"first pass: {answer.Dispatch.Label}; second pass: {answer.Output.Text}");

            host.Apply(byCategory["math"]);                          // or install one expert by hand (exact; Clear() restores the base)
            var withMath = generator.Generate("What is 12 + 30?", new GenerationOptions { MaxNewTokens = 16 });
            host.Clear();
            #endregion

            Assert.Contains(answer.Dispatch.Label, new[] { "code", "math", "reasoning", "other" });
            Assert.Equal(4, answer.Dispatch.Scores!.Length);         // label-score: one score per category
            Assert.True(File.Exists(Path.Combine(modelDir, SvfBasis.FileName)));
            Assert.InRange(withMath.TokenIds.Count, 1, 16);
        }
        finally
        {
            DocFixtures.Delete(modelDir, experts);
        }
    }
}

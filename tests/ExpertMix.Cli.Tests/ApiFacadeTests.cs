// The small public C# facade (LoraAdapter.Train/Merge, model.Generate, Transformer2.Load): its contracts beyond the doc snippets.
using System.Text.Json;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Cli.Tests.Docs;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

public sealed class ApiFacadeTests
{
    private static LoraTrainingOptions Options(string outDir, ValidationSize validation) => new()
    {
        Lora = new LoraConfig { Rank = 4, Alpha = 8, TargetModules = TargetModules.List(["q_proj", "v_proj"]) },
        Trainer = new TrainerOptions { OutputDirectory = outDir, MaxSteps = 6, LearningRate = 2e-3, EvalEvery = 3 },
        Data = new DataOptions { MaxLength = 32 },
        Validation = validation,
        BatchSize = 4,
    };

    private static float[] Factors(LoraAdapter adapter) => [.. adapter.Modules.Values.SelectMany(m => m.A.ToArray().Concat(m.B.ToArray()))];

    [Fact]
    public void Training_on_rows_equals_training_on_the_file_of_those_rows_and_without_validation_exports_the_final_weights()
    {
        string modelDir = TinyChatLlama.Write();
        string work = DocFixtures.TempDirectory("facade-train");
        try
        {
            var pairs = Enumerable.Range(0, 20).Select(i => (Prompt: $"{i} + 2 = ", Completion: $"{i + 2}")).ToList();
            string file = Path.Combine(work, "rows.jsonl");
            File.WriteAllLines(file, pairs.Select(p => JsonSerializer.Serialize(new { prompt = p.Prompt, completion = p.Completion })));
            var rows = pairs.Select(p => DataRow.FromPromptCompletion(p.Prompt, p.Completion)).ToList();
            using var model = CausalLm.Load(modelDir, LoadOptions.Default with { DType = DTypePolicy.F32 });
            var tokenizer = Tokenizer.FromDirectory(modelDir);

            using var fromFile = LoraAdapter.Train(model, tokenizer, [file], Options(Path.Combine(work, "file"), ValidationSize.OfFraction(0.2)));
            using var fromRows = LoraAdapter.Train(model, tokenizer, rows, Options(Path.Combine(work, "rows"), ValidationSize.OfFraction(0.2)));
            Assert.Equal(Factors(fromFile.Adapter!), Factors(fromRows.Adapter!));
            Assert.NotNull(fromFile.Summary.BestStep);
            Assert.DoesNotContain(model.Linears, s => s.Module.GetType().Assembly == typeof(LoraAdapter).Assembly);   // the run detached its LoRA layers from the model

            using var noValidation = LoraAdapter.Train(model, tokenizer, rows, Options(Path.Combine(work, "final"), ValidationSize.None));
            Assert.Null(noValidation.Summary.BestValidationLoss);
            Assert.Equal(6, noValidation.Summary.StepsCompleted);
            using var exported = LoraAdapter.Load(noValidation.Summary.ArtifactDirectory!);
            Assert.Equal(Factors(exported), Factors(noValidation.Adapter!));

            var tooShort = Options(Path.Combine(work, "short"), ValidationSize.None) with { Data = new DataOptions { MaxLength = 2 } };
            var e = Assert.Throws<ArgumentException>(() => LoraAdapter.Train(model, tokenizer, [file], tooShort));
            Assert.Contains("no training sequences in " + file, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }

    [Fact]
    public void Merge_takes_one_weight_per_adapter_defaulting_to_one()
    {
        using var a = LoraAdapter.Load(DocFixtures.AdapterGolden("peft-tiny-llama-a"));
        using var b = LoraAdapter.Load(DocFixtures.AdapterGolden("peft-tiny-llama-b"));
        using var ones = LoraAdapter.Merge([a, b], new LoraMergeOptions { Method = MergeMethod.Cat });
        using var explicitOnes = LoraAdapter.Merge([a, b], new LoraMergeOptions { Method = MergeMethod.Cat, Weights = [1f, 1f] });
        using var halfB = LoraAdapter.Merge([a, b], new LoraMergeOptions { Method = MergeMethod.Cat, Weights = [1f, 0.5f] });
        Assert.Equal(Factors(ones.Adapter), Factors(explicitOnes.Adapter));
        Assert.NotEqual(Factors(ones.Adapter), Factors(halfB.Adapter));
        var e = Assert.Throws<ArgumentException>(() => LoraAdapter.Merge([a, b], new LoraMergeOptions { Weights = [1f] }));
        Assert.Contains("LoraMergeOptions.Weights has 1 weights for 2 adapters", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LoraAdapter.Merge([], null));
        Assert.NotEmpty(a.Modules);                                             // the inputs stay usable
    }

    [Fact]
    public void Generate_on_the_model_is_the_generator_with_the_same_options()
    {
        string modelDir = DocFixtures.TinyLlamaWithTokenizer();
        try
        {
            using var model = CausalLm.Load(modelDir);
            var tokenizer = Tokenizer.FromDirectory(modelDir);
            var sampled = new GenerationOptions { MaxNewTokens = 12, Temperature = 0.9f, TopP = 0.9f, Seed = 3 };
            Assert.Equal(new Generator(model, tokenizer).Generate("Once", sampled).TokenIds, model.Generate(tokenizer, "Once", sampled).TokenIds);
            var chat = Assert.Throws<InvalidOperationException>(() => model.Generate(tokenizer, "Once", sampled, PromptFormat.Chat));
            Assert.Contains("chat template", chat.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            DocFixtures.Delete(modelDir);
        }
    }

    [Fact]
    public void Transformer2_load_refuses_an_other_expert_and_leaves_the_model_as_it_was()
    {
        string modelDir = TinyChatLlama.Write(seed: 21);
        string work = DocFixtures.TempDirectory("facade-t2");
        try
        {
            using var model = CausalLm.Load(modelDir);
            using (var basis = Adapters.Svf.SvfBasis.Decompose(model))
            using (var e = Adapters.Svf.SvfExpert.CreateInitial("x", basis, new Tensors.Rng(1)))
            {
                e.Save(Path.Combine(work, "x"));
            }
            var generator = Generator.ForDirectory(model, modelDir);
            var before = generator.Generate("Hi", new GenerationOptions { MaxNewTokens = 6 }).TokenIds;
            var error = Assert.Throws<ArgumentException>(() => Transformer2.Load(generator, new Dictionary<string, string> { ["other"] = Path.Combine(work, "x") }));
            Assert.Contains("'other'", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, generator.Generate("Hi", new GenerationOptions { MaxNewTokens = 6 }).TokenIds);
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }
}

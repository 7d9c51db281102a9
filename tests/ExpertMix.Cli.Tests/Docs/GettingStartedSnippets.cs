// The snippets of docs/getting-started.md, run: a Hugging Face model directory (stories260K) and a PEFT adapter written by PEFT.
using System.Text.Json;
using ExpertMix.Adapters.Lora;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Docs;

[Collection("Console")]
public sealed class GettingStartedSnippets
{
    [SkippableFact]
    public void Load_generate_and_score_a_model_directory()
    {
        string modelDir = SharedData.Require("models/stories260K");
        using var console = new ConsoleCapture();
        #region snippet:getting-started-generate
        var generator = Generator.Load(modelDir);               // model, tokenizer (tokenizer.json or vocab.json + merges.txt), chat template if any
        using var model = generator.Model;                      // the caller owns (and disposes) the model
        var tokenizer = generator.Tokenizer;
        var result = generator.Generate("Once upon a time", new GenerationOptions { MaxNewTokens = 32 });   // greedy
        Console.WriteLine(result.Text);

        var sampled = generator.Generate("Tom", new GenerationOptions { MaxNewTokens = 32, Temperature = 0.8f, TopP = 0.9f, Seed = 1 });

        var scorer = new Scorer(model, tokenizer);
        var ppl = scorer.Perplexity([new ScoringRow(Line: 1, Prompt: null, Completion: "Once upon a time, there was a little girl.")]);
        Console.WriteLine($"{ppl.Tokens} tokens, perplexity {ppl.Perplexity:F2}");
        #endregion

        Assert.InRange(result.TokenIds.Count, 1, 32);
        Assert.StartsWith(result.Text, console.Text, StringComparison.Ordinal);
        Assert.Equal(result.Text, generator.Generate("Once upon a time", new GenerationOptions { MaxNewTokens = 32 }).Text);
        Assert.InRange(sampled.TokenIds.Count, 1, 32);
        Assert.True(ppl.Tokens > 5 && double.IsFinite(ppl.Perplexity) && ppl.Perplexity > 1, $"{ppl}");
        Assert.Equal(Math.Exp(ppl.Nll), ppl.Perplexity, 9);
    }

    [Fact]
    public void Generate_with_an_existing_peft_adapter()
    {
        string modelDir = DocFixtures.TinyLlamaWithTokenizer();
        string adapterDir = DocFixtures.AdapterGolden("peft-tiny-llama-a");   // written by PEFT 0.15.2 for this base
        try
        {
            using var console = new ConsoleCapture();
            IReadOnlyList<int> baseIds;
            using (var plain = CausalLm.Load(modelDir))
            {
                baseIds = new Generator(plain, Tokenizer.FromDirectory(modelDir)).Generate("Once upon a time", new GenerationOptions { MaxNewTokens = 32 }).TokenIds;
            }

            #region snippet:getting-started-adapter
            var options = new GenerationOptions { MaxNewTokens = 32 };
            using var adapted = new AdaptedModel(CausalLm.Load(modelDir), [(adapterDir, 1.0f)]);   // adapter_config.json + adapter_model.safetensors
            var generator = new Generator(adapted, Tokenizer.FromDirectory(modelDir));
            Console.WriteLine(generator.Generate("Once upon a time", options).Text);

            string name = adapted.Host.Adapters[0].Adapter.Name;          // the directory name
            adapted.Host.SetWeight(name, 0.5f);                             // rescale at run time (unmerged)
            var half = generator.Generate("Once upon a time", options);
            adapted.Host.Merge();                                           // fold in: W' = W + 0.5·s·B·A, one GEMM per module
            var merged = generator.Generate("Once upon a time", options);
            #endregion

            var full = console.Text.TrimEnd('\n');
            Assert.NotEqual(baseIds, half.TokenIds);
            Assert.Equal(half.TokenIds, merged.TokenIds);
            Assert.True(adapted.Host.IsMerged);
            Assert.False(string.IsNullOrEmpty(full));
        }
        finally
        {
            DocFixtures.Delete(modelDir);
        }
    }

    // The bash block of docs/getting-started.md, run command by command (the doc sets M, A and T above it).
    private const string CliSnippet = """
        #region snippet:getting-started-cli
        expertmix inspect --model $M                                    # architecture, parameters, dtype, vocabulary
        expertmix generate --model $M --prompt "Once upon a time" --max-new-tokens 32
        expertmix generate --model $M --prompt "Tom" --max-new-tokens 32 --temperature 0.8 --top-p 0.9 --seed 1 --json
        expertmix score --model $M --data $T --json                     # {"tokens", "nll", "perplexity"}
        expertmix lora inspect $A                                       # rank, alpha, targets, modules
        expertmix generate --model $M --adapter $A --prompt "Once upon a time" --max-new-tokens 32
        expertmix generate --model $M --adapter $A:0.5 --prompt "Once upon a time" --max-new-tokens 32 --json
        #endregion
        """;

    [Fact]
    public void Cli_equivalents_run()
    {
        string modelDir = DocFixtures.TinyLlamaWithTokenizer();
        string work = DocFixtures.TempDirectory("cli");
        try
        {
            string text = Path.Combine(work, "text.jsonl");
            File.WriteAllLines(text, [JsonSerializer.Serialize(new { text = "Once upon a time there was a cat." }), JsonSerializer.Serialize(new { prompt = "Tom had ", completion = "a dog." })]);
            var vars = new Dictionary<string, string> { ["M"] = modelDir, ["A"] = DocFixtures.AdapterGolden("peft-tiny-llama-a"), ["T"] = text };
            var steps = CliScript.Run(CliSnippet, vars);
            Assert.All(steps, s => Assert.True(s.Code == 0, $"{s.Line}\n{s.Err}"));
            Assert.Equal(7, steps.Count);
            var score = JsonDocument.Parse(steps[3].Out).RootElement;
            Assert.True(score.GetProperty("perplexity").GetDouble() > 1);
            var sampled = JsonDocument.Parse(steps[2].Out).RootElement;
            Assert.True(sampled.GetProperty("token_ids").GetArrayLength() > 0);
            Assert.Contains("q_proj", steps[4].Out, StringComparison.Ordinal);
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }
}

// The C# and CLI snippets of docs/xlora.md and transformer2.md, run on tiny models, a checkpoint written by the original
// xlora package and stand-in SVF experts; the C# answers are checked against the CLI's.
using System.Text.Json;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Docs;

[Collection("Console")]
public sealed class ExpertSnippets
{
    // docs/xlora.md: two LoRA experts, a gate over them, then the X-LoRA model ($M chat model, $C/$S/$D data, $W work folder).
    private const string XLoraCli = """
        #region snippet:xlora-cli
        expertmix lora train -m $M -d $C -o $W/count --rank 4 --targets all-linear --max-steps 4 --batch-size 4 --max-length 32 --json
        expertmix lora train -m $M -d $S -o $W/story --rank 4 --targets all-linear --max-steps 4 --batch-size 4 --max-length 32 --json
        expertmix xlora train -m $M --adapter count=$W/count/adapter --adapter story=$W/story/adapter -d $D -o $W/gate \
          --layerwise --depth 2 --size 16 --max-steps 4 --batch-size 4 --max-length 32 --json
        expertmix xlora inspect $W/gate/adapter                           # experts, gate shape, knobs
        expertmix generate -m $M --xlora $W/gate/adapter --prompt "Mia had 4 big cats." --max-new-tokens 16 --json
        expertmix xlora scalings -m $M --xlora $W/gate/adapter --prompt "Count: 5, 6, 7. Mia had 4 big cats." \
          --out $W/heat.svg --json $W/heat.json
        expertmix score -m $M --xlora $W/gate/adapter --data $D --json
        #endregion
        """;

    // docs/transformer2.md ($M chat model, $D prompt/completion JSONL, $MATH/$CODE expert folders, $W work folder).
    private const string Transformer2Cli = """
        #region snippet:transformer2-cli
        expertmix svf decompose --model $M                                # svf-basis.safetensors in the model directory
        expertmix svf train --model $M --data $D --task sft --mode sft --out $W/sum --iterations 6 --batch 4 --lr 0.05 --max-length 32 --json
        expertmix svf inspect $W/sum/expert
        expertmix generate --model $M --svf $W/sum/expert --prompt "What is 12 + 30?" --max-new-tokens 8
        expertmix t2 generate --model $M --experts math=$MATH,code=$CODE --strategy label-score \
          --prompt "What is 12 + 30?" --max-new-tokens 16 --json
        expertmix svf to-lora --model $M --svf $W/sum/expert --rank 4 --out $W/sum-lora --json   # ΔW = U diag(σ(c·z − 1)) Vᵀ, truncated
        #endregion
        """;

    [Fact]
    public void Xlora_load_and_generate_as_the_cli_does()
    {
        string modelDir = DocFixtures.TinyLlamaWithTokenizer();
        string xloraDir = DocFixtures.AdapterGolden("xlora-tiny-llama");   // written by the original xlora package
        string work = DocFixtures.TempDirectory("xlora");
        try
        {
            #region snippet:xlora
            using var xl = XLoraModel.Load(CausalLm.Load(modelDir), xloraDir);   // either layout; validates everything; owns the model
            xl.ScalingsLog.Enabled = true;
            var tokenizer = Tokenizer.FromDirectory(modelDir);
            var result = xl.Generate(tokenizer, "Mia had 4 big cats.", new GenerationOptions { MaxNewTokens = 16 });
            var first = xl.ScalingsLog.Entries[0];                   // λ of the prefill: [batch, tokens, layers, experts]
            float lambda = first.At(b: 0, t: 0, layer: 0, expert: 0);
            #endregion

            Assert.NotNull(result.Text);
            Assert.Equal(3, first.Experts);
            Assert.Equal(19, first.Tokens);                          // the prompt's bytes
            float sum = Enumerable.Range(0, first.Experts).Sum(e => first.At(0, 0, 0, e));
            Assert.Equal(1f, sum, 1e-5f);                            // softmax over the experts
            Assert.InRange(lambda, 0f, 1f);

            // The CLI on a chat model with an EOS token (training appends it), then the C# runtime on the gate it wrote.
            string chatModel = TinyChatLlama.Write();
            string count = Write("count.jsonl", Enumerable.Range(0, 16).Select(i => JsonSerializer.Serialize(new { text = $"Count: {i}, {i + 1}, {i + 2}." })));
            string story = Write("story.jsonl", Enumerable.Range(0, 16).Select(i => JsonSerializer.Serialize(new { text = $"Mia had {i} big cats." })));
            string mix = Write("mix.jsonl", File.ReadAllLines(count).Zip(File.ReadAllLines(story)).SelectMany(p => new[] { p.First, p.Second }));
            try
            {
                var vars = new Dictionary<string, string> { ["M"] = chatModel, ["C"] = count, ["S"] = story, ["D"] = mix, ["W"] = work };
                var steps = CliScript.Run(XLoraCli, vars);
                Assert.All(steps, s => Assert.True(s.Code == 0, $"{s.Line}\n{s.Err}"));
                Assert.Equal(7, steps.Count);
                Assert.True(File.Exists(Path.Combine(work, "heat.svg")) && File.Exists(Path.Combine(work, "heat.json")));
                using var gate = XLoraModel.Load(CausalLm.Load(chatModel), Path.Combine(work, "gate", "adapter"));
                Assert.Equal(new[] { "count", "story" }, gate.Config.AdapterNames);
                var ids = gate.Generate(Tokenizer.FromDirectory(chatModel), "Mia had 4 big cats.", new GenerationOptions { MaxNewTokens = 16 }).TokenIds;
                var cliIds = JsonDocument.Parse(steps[4].Out).RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32());
                Assert.Equal(ids, cliIds);                                   // one generation path
                Assert.True(JsonDocument.Parse(steps[6].Out).RootElement.GetProperty("perplexity").GetDouble() > 1);
            }
            finally
            {
                DocFixtures.Delete(chatModel);
            }

            string Write(string name, IEnumerable<string> lines)
            {
                string path = Path.Combine(work, name);
                File.WriteAllLines(path, lines);
                return path;
            }
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }

    [Fact]
    public void Transformer2_two_pass_generation_as_the_cli_does()
    {
        string modelDir = TinyChatLlama.Write(seed: 21);
        string work = DocFixtures.TempDirectory("svf");
        try
        {
            // Stand-ins for experts from `expertmix svf train`: random SVF vectors saved in the expert format.
            string mathDir = Path.Combine(work, "math"), codeDir = Path.Combine(work, "code");
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
            var generator = Generator.ForDirectory(model, modelDir);            // tokenizer and chat template of the directory
            var experts = new Dictionary<string, string> { ["math"] = mathDir, ["code"] = codeDir };
            using var t2 = Transformer2.Load(generator, experts, new Transformer2Options { Strategy = T2Strategy.LabelScore }, modelDirectory: modelDir);
            var answer = t2.Generate("What is 12 + 30?", new GenerationOptions { MaxNewTokens = 16 });   // owns basis, host and experts
            Console.WriteLine($"first pass: {answer.Dispatch.Label}; second pass: {answer.Output.Text}");

            t2.Host.Apply(t2.Experts["math"]);                        // or install one expert by hand (exact; Clear() restores the base)
            var withMath = model.Generate(generator.Tokenizer, "What is 12 + 30?", new GenerationOptions { MaxNewTokens = 16 });
            t2.Host.Clear();
            #endregion

            Assert.Contains(answer.Dispatch.Label, new[] { "code", "math", "reasoning", "other" });
            Assert.Equal(4, answer.Dispatch.Scores!.Length);         // label-score: one score per category
            Assert.InRange(withMath.TokenIds.Count, 1, 16);

            string data = Path.Combine(work, "sum.jsonl");
            File.WriteAllLines(data, Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new { prompt = $"What is {i} + 30? ", completion = $"{i + 30}" })));
            var vars = new Dictionary<string, string> { ["M"] = modelDir, ["D"] = data, ["MATH"] = mathDir, ["CODE"] = codeDir, ["W"] = work };
            var steps = CliScript.Run(Transformer2Cli, vars);
            Assert.All(steps, s => Assert.True(s.Code == 0, $"{s.Line}\n{s.Err}"));
            Assert.Equal(6, steps.Count);
            Assert.True(File.Exists(Path.Combine(modelDir, SvfBasis.FileName)));
            var t2Json = JsonDocument.Parse(steps[4].Out).RootElement;
            Assert.Equal(answer.Dispatch.Label, t2Json.GetProperty("dispatch").GetString());   // the CLI loads the same runtime
            Assert.Equal(answer.Output.TokenIds, t2Json.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()));
            Assert.True(File.Exists(Path.Combine(work, "sum-lora", "adapter_model.safetensors")));
        }
        finally
        {
            DocFixtures.Delete(modelDir, work);
        }
    }
}

// `expertmix generate`: KV-cached generation from a model directory, streamed live or printed as JSON.
using System.CommandLine;
using ExpertMix.Models.Generation;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands;

/// <summary>The `generate` verb.</summary>
internal static class GenerateCommand
{
    /// <summary>Typed options of one `generate` call.</summary>
    private sealed record GenerateArgs(ModelArgs Model, string Prompt, PromptFormat Format, GenerationOptions Options, bool Json);

    /// <summary>Creates `generate`.</summary>
    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt text.", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Wrap the prompt as a user message in the model's chat template." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy; > 0 samples.", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off; sampling only)." };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = off).", DefaultValueFactory = _ => 1f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min-p × the top probability (0 = off)." };
        var repetition = new Option<float>("--repetition-penalty") { Description = "HF repetition penalty (1 = off).", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong?>("--seed") { Description = "Sampling seed (same seed, same text)." };
        var stop = new Option<string[]>("--stop") { Description = "Stop strings (repeatable); the text ends before the first one.", AllowMultipleArgumentsPerToken = false };
        var kvDtype = new Option<string>("--kv-dtype") { Description = "KV cache storage: f32 (exact) or bf16 (half the cache memory).", DefaultValueFactory = _ => "f32" };
        kvDtype.AcceptOnlyFromAmong("f32", "bf16");
        var json = new Option<bool>("--json") { Description = "Print {\"text\", \"token_ids\", …} instead of streaming text." };

        var cmd = new Command("generate", "Generate text with a Hugging Face causal LM (KV-cached, streamed).");
        model.AddTo(cmd);
        foreach (var o in new Option[] { prompt, chat, maxNew, temperature, topK, topP, minP, repetition, seed, stop, kvDtype, json }) cmd.Add(o);
        cmd.SetAction(pr =>
        {
            var options = new GenerationOptions
            {
                MaxNewTokens = pr.GetValue(maxNew),
                Temperature = pr.GetValue(temperature),
                TopK = pr.GetValue(topK),
                TopP = pr.GetValue(topP),
                MinP = pr.GetValue(minP),
                RepetitionPenalty = pr.GetValue(repetition),
                Seed = pr.GetValue(seed),
                StopStrings = pr.GetValue(stop) ?? [],
                KvCacheDType = pr.GetValue(kvDtype) == "bf16" ? DType.BF16 : DType.F32,
            };
            return Run(new GenerateArgs(model.Bind(pr), pr.GetValue(prompt)!, pr.GetValue(chat) ? PromptFormat.Chat : PromptFormat.Raw, options, pr.GetValue(json)));
        });
        return cmd;
    }

    private static int Run(GenerateArgs a)
    {
        try
        {
            a.Options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UserErrorException(e.Message, e);
        }
        var generator = a.Model.LoadGenerator();
        using var model = generator.Model;
        IReadOnlyList<int> ids;
        try
        {
            ids = generator.EncodePrompt(a.Prompt, a.Format);
        }
        catch (InvalidOperationException e)
        {
            throw new UserErrorException(e.Message, e);
        }
        if (a.Json)
        {
            var r = generator.Generate([ids], a.Options)[0];
            Console.WriteLine(CliJson.Serialize(new
            {
                text = r.Text,
                token_ids = r.TokenIds,
                finish_reason = r.Finish.ToString().ToLowerInvariant(),
                prompt_tokens = r.PromptTokens,
                prefill_tokens_per_s = Math.Round(r.Timings.PrefillTokensPerSecond, 1),
                decode_tokens_per_s = Math.Round(r.Timings.DecodeStepsPerSecond, 1),
            }));
            return 0;
        }
        var result = generator.Generate([ids], a.Options, (_, text) =>
        {
            Console.Write(text);
            Console.Out.Flush();
        })[0];
        Console.WriteLine();
        Console.Error.WriteLine(
            $"[{result.TokenIds.Count} tokens, {result.Finish}; prefill {result.Timings.PrefillTokensPerSecond:F0} tok/s, decode {result.Timings.DecodeStepsPerSecond:F1} tok/s]");
        return 0;
    }
}

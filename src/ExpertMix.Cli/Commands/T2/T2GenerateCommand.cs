// `expertmix t2 generate`: first pass + recomposition + second pass for one prompt.
using System.CommandLine;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Models.Generation;

namespace ExpertMix.Cli.Commands.T2;

/// <summary>The `t2 generate` verb.</summary>
internal static class T2GenerateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var t2 = new T2Options("--strategy", enabledByDefault: true);
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt (also the first pass's question).", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Wrap the second pass's prompt in the model's chat template." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Second-pass token limit.", DefaultValueFactory = _ => 128 };
        var task = new Option<string?>("--task") { Description = "few-shot without --mixture: the task whose verifier scores the dev shots." };
        task.AcceptOnlyFromAmong([.. EvalTasks.Names]);
        var json = new Option<bool>("--json") { Description = "Print {dispatch, text, first_pass_s, second_pass_s, …}." };
        var cmd = new Command("generate", "Answer one prompt with Transformer²: classify, recompose W' for the chosen expert(s), generate.");
        model.AddTo(cmd);
        t2.AddTo(cmd);
        foreach (var o in new Option[] { prompt, chat, maxNew, task, json }) cmd.Add(o);
        cmd.SetAction(pr =>
        {
            var args = t2.Bind(pr)!;
            var format = pr.GetValue(chat) ? PromptFormat.Chat : PromptFormat.Raw;
            var evalTask = pr.GetValue(task) is { } name ? EvalTasks.Get(name) : null;
            return Run(model.Bind(pr), args, pr.GetValue(prompt)!, format, pr.GetValue(maxNew), evalTask, pr.GetValue(json));
        });
        return cmd;
    }

    private static int Run(ModelArgs modelArgs, T2Args args, string prompt, PromptFormat format, int maxNew, EvalTask? task, bool json)
    {
        if (maxNew < 1) throw new UserErrorException($"--max-new-tokens must be ≥ 1 (got {maxNew})");
        var runtime = args.Build(modelArgs, format);
        using var model = runtime.Generator.Model;
        using (runtime)
        {
            var fewShot = args.AdaptIfNeeded(runtime, task, null, null, json);
            var r = runtime.Generate(prompt, new GenerationOptions { MaxNewTokens = maxNew, Temperature = 0f });
            if (json)
            {
                Console.WriteLine(CliJson.Serialize(new
                {
                    strategy = args.StrategyName,
                    dispatch = r.Dispatch.Label,
                    alpha = r.Dispatch.Alpha,
                    label_scores = r.Dispatch.Scores,
                    first_pass_text = r.Dispatch.FirstPassText,
                    text = r.Output.Text,
                    token_ids = r.Output.TokenIds,
                    finish_reason = r.Output.Finish.ToString().ToLowerInvariant(),
                    first_pass_s = r.FirstPassSeconds,
                    second_pass_s = r.SecondPassSeconds,
                    cem_evaluations = fewShot?.Search.Evaluations,
                }));
                return 0;
            }
            Console.Error.WriteLine($"[dispatch: {r.Dispatch.Label}{(r.Dispatch.Alpha is { } a ? " α = [" + string.Join(", ", a.Take(8).Select(x => x.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))) + "]" : "")}; first pass {r.FirstPassSeconds:F2} s, second pass {r.SecondPassSeconds:F2} s]");
            Console.WriteLine(r.Output.Text);
            return 0;
        }
    }
}

// `expertmix t2 …`: Transformer² two-pass self-adaptation with SVF experts (generate, adapt, eval).
using System.CommandLine;

namespace ExpertMix.Cli.Commands.T2;

/// <summary>The `t2` verb group.</summary>
internal static class T2Command
{
    /// <summary>Creates `t2` with its sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("t2", "Transformer²: a first pass picks SVF experts (prompt, classifier, label-score or few-shot CEM), the weights are recomposed, a second pass answers.");
        cmd.Add(T2GenerateCommand.Create());
        cmd.Add(T2AdaptCommand.Create());
        cmd.Add(EvalCommand.Build("eval", "Transformer² accuracy on a task: first/second-pass times and the dispatch confusion matrix.", new T2Options("--strategy", enabledByDefault: true)));
        return cmd;
    }
}

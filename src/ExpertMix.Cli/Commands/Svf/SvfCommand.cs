// `expertmix svf …`: SVF (Transformer²) experts.
using System.CommandLine;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>The `svf` verb group.</summary>
internal static class SvfCommand
{
    /// <summary>Creates `svf` with its sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("svf", "SVF (Transformer²) experts: one singular-value scale vector per adapted matrix.");
        cmd.Add(SvfTrainCommand.Create());
        return cmd;
    }
}

// `expertmix svf …`: decompose a base model, train experts, inspect SVF files, convert experts to LoRA.
using System.CommandLine;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>The `svf` verb group.</summary>
internal static class SvfCommand
{
    /// <summary>Creates `svf` with its sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("svf", "SVF experts (Transformer²): decompose a base model's targets, train experts, inspect bases/experts/mixtures, convert an expert to a PEFT LoRA adapter.");
        cmd.Add(SvfDecomposeCommand.Create());
        cmd.Add(SvfTrainCommand.Create());
        cmd.Add(SvfInspectCommand.Create());
        cmd.Add(SvfToLoraCommand.Create());
        return cmd;
    }

    /// <summary>Parses --targets: mlp, attention, all (= mlp+attention), or a comma-separated suffix list.</summary>
    internal static Adapters.Svf.SvfTargets ParseTargets(string text) =>
        text.Trim() == "all" ? Adapters.Svf.SvfTargets.MlpAndAttention : Adapters.Svf.SvfTargets.Parse(text);
}

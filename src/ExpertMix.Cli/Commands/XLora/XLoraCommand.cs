// `expertmix xlora …`: train, inspect, convert X-LoRA checkpoints and plot their scalings.
using System.CommandLine;

namespace ExpertMix.Cli.Commands.XLora;

/// <summary>The `xlora` verb group.</summary>
internal static class XLoraCommand
{
    /// <summary>Creates `xlora` with its sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("xlora", "X-LoRA: a learned gate mixes LoRA experts per token and layer. Train a gate, inspect or convert a checkpoint, plot scalings.");
        cmd.Add(XLoraTrainCommand.Create());
        cmd.Add(XLoraInspectCommand.Create());
        cmd.Add(XLoraConvertCommand.Create());
        cmd.Add(XLoraScalingsCommand.Create());
        return cmd;
    }
}

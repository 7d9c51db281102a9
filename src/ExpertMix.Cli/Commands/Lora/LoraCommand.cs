// `expertmix lora …`: train, merge, analyze and inspect LoRA adapters (PEFT layout).
using System.CommandLine;

namespace ExpertMix.Cli.Commands.Lora;

/// <summary>The `lora` verb group.</summary>
internal static class LoraCommand
{
    /// <summary>Creates `lora` with its sub-verbs.</summary>
    public static Command Create()
    {
        var cmd = new Command("lora", "LoRA experts: inspect PEFT adapters, train, merge, and analyse orthogonality.");
        cmd.Add(LoraInspectCommand.Create());
        cmd.Add(LoraMergeCommand.Create());
        cmd.Add(LoraAnalyzeCommand.Create());
        cmd.Add(LoraTrainCommand.Create());
        return cmd;
    }
}

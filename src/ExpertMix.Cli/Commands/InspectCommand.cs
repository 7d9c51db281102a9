// `expertmix inspect FILE.safetensors`: tensor names, dtypes, shapes, sizes and metadata.
using System.CommandLine;

namespace ExpertMix.Cli.Commands;

/// <summary>The `inspect` verb.</summary>
public static class InspectCommand
{
    /// <summary>Creates `inspect`.</summary>
    public static Command Create()
    {
        var inspect = new Command("inspect", "Show what a safetensors file (or model directory) contains.");
        return inspect;
    }
}

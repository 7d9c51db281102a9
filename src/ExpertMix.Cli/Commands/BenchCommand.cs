// `expertmix bench …`: kernel and model benchmarks with human tables or --json.
using System.CommandLine;

namespace ExpertMix.Cli.Commands;

/// <summary>The `bench` verb group.</summary>
public static class BenchCommand
{
    /// <summary>Creates `bench` with its sub-verbs.</summary>
    public static Command Create()
    {
        var bench = new Command("bench", "Measure kernel and model speed.");
        return bench;
    }
}

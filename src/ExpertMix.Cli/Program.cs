// The `expertmix` command: System.CommandLine wiring only; each verb lives in Commands/.
using ExpertMix.Cli.Commands;

namespace ExpertMix.Cli;

/// <summary>Entry point.</summary>
public static class Program
{
    /// <summary>Builds the command tree.</summary>
    public static System.CommandLine.RootCommand BuildRoot()
    {
        var root = new System.CommandLine.RootCommand("ExpertMix: modular experts (LoRA, merging, X-LoRA, Transformer²) on a pure .NET tensor engine.");
        root.Add(BenchCommand.Create());
        root.Add(InspectCommand.Create());
        return root;
    }

    /// <summary>Runs the CLI; returns the process exit code (2 for user errors).</summary>
    public static int Main(string[] args) => CliErrors.Run(() => BuildRoot().Parse(args).Invoke());
}

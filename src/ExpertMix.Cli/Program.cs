// The `expertmix` command: System.CommandLine wiring only; each verb lives in Commands/.
using ExpertMix.Cli.Commands;

namespace ExpertMix.Cli;

/// <summary>Entry point.</summary>
internal static class Program
{
    /// <summary>Builds the command tree.</summary>
    public static System.CommandLine.RootCommand BuildRoot()
    {
        var root = new System.CommandLine.RootCommand("ExpertMix: modular experts (LoRA, merging, X-LoRA, Transformer²) on a pure .NET tensor engine.");
        root.Add(BenchCommand.Create());
        root.Add(InspectCommand.Create());
        root.Add(GenerateCommand.Create());
        root.Add(LogitsCommand.Create());
        root.Add(ScoreCommand.Create());
        root.Add(EvalCommand.Create());
        root.Add(EvalCompareCommand.Create());
        root.Add(TokenizeCommand.Create());
        root.Add(Commands.Lora.LoraCommand.Create());
        root.Add(Commands.XLora.XLoraCommand.Create());
        root.Add(Commands.Svf.SvfCommand.Create());
        root.Add(Commands.T2.T2Command.Create());
        root.Add(DataCommand.Create());
        root.Add(Commands.Study.StudyCommand.Create());
        root.Add(Demo.DemoCommand.Create());
        return root;
    }

    /// <summary>Runs the CLI; returns the process exit code (2 for user errors).</summary>
    /// <remarks>
    /// System.CommandLine's default exception handler is off: it would print a stack trace and return 1 before
    /// <see cref="CliErrors"/> could map the exception to one `error:` line and exit code 2.
    /// Spectre's static console is rebound to the current <see cref="Console.Out"/> on every call: it otherwise keeps
    /// the writer of its first use, which breaks in-process callers (tests) that redirect the console per call.
    /// </remarks>
    public static int Main(string[] args)
    {
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(Console.Out) });
        return CliErrors.Run(() => BuildRoot().Parse(args).Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }
}

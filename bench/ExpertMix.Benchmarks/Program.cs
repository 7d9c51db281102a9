// BenchmarkDotNet entry point: `dotnet run -c Release --project bench/ExpertMix.Benchmarks -- --filter '*'`.
using BenchmarkDotNet.Running;

namespace ExpertMix.Benchmarks;

/// <summary>Runs the benchmarks selected on the command line.</summary>
public static class Program
{
    /// <summary>Switches between all benchmark classes in this assembly.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}

// Progress of the demo's phases: live Spectre bars on a terminal, one line per phase otherwise.
using System.Diagnostics;
using System.Globalization;
using ExpertMix.Adapters.Training;
using ExpertMix.Cli.Commands.Training;
using Spectre.Console;

namespace ExpertMix.Cli.Demo;

/// <summary>Reports the demo's phases.</summary>
internal interface IDemoProgress
{
    /// <summary>Starts a phase of <paramref name="steps"/> steps (0 = not counted); dispose the handle when it ends.</summary>
    IDemoPhase Begin(string name, int steps);
}

/// <summary>One running phase.</summary>
internal interface IDemoPhase : IDisposable
{
    /// <summary>A trainer observer that drives this phase's bar (in-process training).</summary>
    ITrainingObserver Observer { get; }

    /// <summary>Step <c>step</c> of <c>total</c> done, with the current loss when known (parsed from a verb's progress lines).</summary>
    void Report(int step, int total, double? loss);
}

/// <summary>Live bars (one per phase, with loss and elapsed time) inside a Spectre progress context.</summary>
internal sealed class SpectreDemoProgress(ProgressContext context) : IDemoProgress
{
    public IDemoPhase Begin(string name, int steps) => new Phase(context.AddTask(Markup.Escape(name), maxValue: Math.Max(steps, 1)), name);

    private sealed class Phase(ProgressTask task, string name) : IDemoPhase
    {
        public ITrainingObserver Observer { get; } = new SpectreTrainingObserver(task, name, CheckpointEcho.Silent);

        public void Report(int step, int total, double? loss)
        {
            task.MaxValue = Math.Max(total, 1);
            task.Value = step;
            if (loss is { } l) task.Description = Markup.Escape($"{name}  loss {l.ToString("F3", CultureInfo.InvariantCulture)}");
        }

        public void Dispose()
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}

/// <summary>One line per finished phase on <paramref name="output"/> (redirected output, --json).</summary>
internal sealed class TextDemoProgress(TextWriter output) : IDemoProgress
{
    public IDemoPhase Begin(string name, int steps)
    {
        output.WriteLine($"▶ {name}");
        return new Phase(output, name);
    }

    private sealed class Phase(TextWriter output, string name) : IDemoPhase
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double? _loss;

        public ITrainingObserver Observer { get; } = new TextTrainingObserver(output, logEvery: 50);

        public void Report(int step, int total, double? loss) => _loss = loss ?? _loss;

        public void Dispose() =>
            output.WriteLine($"✓ {name} ({_clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s{(_loss is { } l ? $", loss {l.ToString("F3", CultureInfo.InvariantCulture)}" : "")})");
    }
}

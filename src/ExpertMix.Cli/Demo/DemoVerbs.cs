// Runs `expertmix` verbs in-process for the demo: the demo is a script of the same commands a user would type.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// Runs one CLI verb with <c>--json</c> inside this process and returns its JSON summary. The verb's stdout is captured
/// (it prints exactly one JSON object there); its stderr (plain progress lines such as "step 40/200 … loss 1.23") is
/// parsed and reported through <c>progress</c>, and kept for the error message when the verb fails.
/// </summary>
internal static partial class DemoVerbs
{
    /// <summary>Runs <paramref name="args"/> (a verb line without the program name) and returns the last JSON object it printed.</summary>
    /// <param name="args">The verb and its options; <c>--json</c> must be among them.</param>
    /// <param name="progress">Called with (step, total, loss) for every progress line the verb prints; may be null.</param>
    /// <exception cref="InvalidOperationException">The verb exited with a non-zero code or printed no JSON object; the message holds the command and its last output lines.</exception>
    public static JsonObject Run(IReadOnlyList<string> args, Action<int, int, double?>? progress = null)
    {
        var stdout = new StringWriter(CultureInfo.InvariantCulture);
        var stderr = new ProgressWriter(progress);
        int code = Invoke(args, stdout, stderr);
        string text = stdout.ToString();
        var json = code == 0 ? ParseObject(text) : null;
        if (json is null)
        {
            string tail = string.Join('\n', (stderr.Text + text).Split('\n').TakeLast(12));
            throw new InvalidOperationException($"demo step failed (exit code {code}): expertmix {CommandLine(args)}\n{tail}");
        }
        return json;
    }

    /// <summary>The JSON object stdout holds (compact or indented), or the last one-line object when other text precedes it; null if none.</summary>
    private static JsonObject? ParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text.Trim()) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            var last = text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{') && l.EndsWith('}'));
            return last is null ? null : JsonNode.Parse(last) as JsonObject;
        }
    }

    /// <summary>Runs a verb whose result is a file (its stdout is discarded); throws like <see cref="Run"/> on a non-zero exit code.</summary>
    public static JsonObject RunQuiet(IReadOnlyList<string> args)
    {
        var captured = new StringWriter(CultureInfo.InvariantCulture);
        int code = Invoke(args, captured, captured);
        if (code != 0) throw new InvalidOperationException($"demo step failed (exit code {code}): expertmix {CommandLine(args)}\n{string.Join('\n', captured.ToString().Split('\n').TakeLast(12))}");
        return [];
    }

    /// <summary>Runs the CLI with the console's writers swapped for <paramref name="stdout"/> and <paramref name="stderr"/>; restores them (and Spectre's console) after.</summary>
    private static int Invoke(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        try
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            return Program.Main([.. args]);
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(oldOut) });
        }
    }

    /// <summary>The verb line as a user would type it (arguments with spaces quoted).</summary>
    public static string CommandLine(IEnumerable<string> args) =>
        string.Join(' ', args.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) || a.Contains('"', StringComparison.Ordinal) ? "\"" + a.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : a));

    [GeneratedRegex(@"step (\d+)/(\d+)(?:.*?loss ([0-9.eE+-]+))?")]
    private static partial Regex StepLine();

    /// <summary>Collects stderr and reports "step N/M … loss L" lines as they are written.</summary>
    private sealed class ProgressWriter(Action<int, int, double?>? progress) : TextWriter
    {
        private readonly StringBuilder _all = new();
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text => _all.ToString();

        public override void Write(char value)
        {
            _all.Append(value);
            if (value != '\n')
            {
                _line.Append(value);
                return;
            }
            var m = StepLine().Match(_line.ToString());
            _line.Clear();
            if (!m.Success || progress is null) return;
            double? loss = m.Groups[3].Success && double.TryParse(m.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : null;
            progress(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), loss);
        }
    }
}

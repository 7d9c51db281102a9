// Code tasks (MBPP, HumanEval): the candidate program plus the task's tests, run by CodeRunner.
using System.Text.RegularExpressions;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>
/// Scores code by running it: program = extracted code + "\n\n" + gold (the tests), executed by a
/// <see cref="CodeRunner"/>; correct only when the run <see cref="CodeOutcome.Passed"/>. The code is the first fenced
/// block (<c>```python … ```</c> or <c>``` … ```</c>) of the completion when there is one, else the whole completion.
/// The <see cref="Verdict.Detail"/> is the outcome name (and the last line of stderr on error).
/// </summary>
/// <param name="runner">The runner (default options when null).</param>
internal sealed partial class CodeVerifier(CodeRunner? runner = null) : IVerifier
{
    [GeneratedRegex(@"```[ \t]*(?:python|py|Python)?[ \t]*\r?\n(.*?)(?:```|$)", RegexOptions.Singleline)]
    private static partial Regex Fenced();

    /// <summary>The runner.</summary>
    public CodeRunner Runner { get; } = runner ?? new CodeRunner();

    /// <inheritdoc/>
    public string Name => "code-tests";

    /// <summary>The code to run: the first fenced block, else the whole text.</summary>
    public static string ExtractCode(string completion)
    {
        var m = Fenced().Match(completion);
        return m.Success ? m.Groups[1].Value : completion;
    }

    /// <inheritdoc/>
    public Verdict Verify(string completion, string gold)
    {
        string code = ExtractCode(completion);
        var result = Runner.Run(code + "\n\n" + gold + "\n");
        string detail = result.Outcome.ToString().ToLowerInvariant();
        if (result.Outcome is CodeOutcome.Error or CodeOutcome.Failed)
        {
            var last = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            if (last is not null) detail += ": " + last;
        }
        return new Verdict(result.Outcome == CodeOutcome.Passed, code, detail);
    }
}

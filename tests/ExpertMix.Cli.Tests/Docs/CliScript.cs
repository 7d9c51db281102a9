// Runs a documented shell snippet of `expertmix` commands in-process: $VARS substituted, quotes honoured, `#` comments and `\` continuations.
using System.Text;

namespace ExpertMix.Cli.Tests.Docs;

/// <summary>One command of a script and what it did.</summary>
internal sealed record CliStep(string Line, string[] Args, int Code, string Out, string Err);

/// <summary>
/// Interprets the small shell subset the docs use: one <c>expertmix …</c> command per line (a trailing <c>\</c> joins
/// lines), <c>$NAME</c>/<c>${NAME}</c> from the given variables, single and double quotes, <c>#</c> comments. Lines
/// of a <c>#region</c> marker are ignored, so a region body can be passed as it is.
/// </summary>
internal static class CliScript
{
    /// <summary>Runs every command in order and stops at the first non-zero exit (returned last).</summary>
    /// <exception cref="InvalidDataException">A line that is not an expertmix command, or an unknown variable.</exception>
    public static IReadOnlyList<CliStep> Run(string script, IReadOnlyDictionary<string, string> variables)
    {
        var steps = new List<CliStep>();
        foreach (var line in Commands(script))
        {
            var words = Split(line, variables);
            if (words.Count == 0) continue;
            if (words[0] != "expertmix") throw new InvalidDataException($"not an expertmix command: {line}");
            var args = words.Skip(1).ToArray();
            var (code, stdout, stderr) = CliRunner.Run(args);
            steps.Add(new CliStep(line, args, code, stdout, stderr));
            if (code != 0) break;
        }
        return steps;
    }

    private static IEnumerable<string> Commands(string script)
    {
        var pending = new StringBuilder();
        foreach (var raw in script.ReplaceLineEndings("\n").Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("#region", StringComparison.Ordinal) || line.StartsWith("#endregion", StringComparison.Ordinal)) continue;
            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }
            pending.Append(line);
            yield return pending.ToString();
            pending.Clear();
        }
        if (pending.Length > 0) yield return pending.ToString();
    }

    /// <summary>Shell words of <paramref name="line"/> (a <c>#</c> outside quotes at a word start ends the line).</summary>
    internal static List<string> Split(string line, IReadOnlyDictionary<string, string> variables)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0';
                else word.Append(c);
                continue;
            }
            if (c == '$' && i + 1 < line.Length && (char.IsLetter(line[i + 1]) || line[i + 1] == '{'))
            {
                int start = i + 1;
                bool braced = line[start] == '{';
                int end = braced ? line.IndexOf('}', start) : start;
                if (!braced) while (end < line.Length && (char.IsLetterOrDigit(line[end]) || line[end] == '_')) end++;
                string name = braced ? line[(start + 1)..end] : line[start..end];
                if (!variables.TryGetValue(name, out var value)) throw new InvalidDataException($"unknown variable ${name} in: {line}");
                word.Append(value);
                inWord = true;
                i = braced ? end : end - 1;
                continue;
            }
            if (quote == '"')
            {
                if (c == '"') quote = '\0';
                else word.Append(c);
                continue;
            }
            if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            if (c == '#' && !inWord) break;
            word.Append(c);
            inWord = true;
        }
        if (quote != '\0') throw new InvalidDataException($"unclosed quote in: {line}");
        if (inWord) words.Add(word.ToString());
        return words;
    }
}

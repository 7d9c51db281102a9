// The demo's Transformer² dispatch setup: the domains as first-pass categories, the short classification system text,
// the chat template of the demo base, and the classification expert's training rows.
using System.Text;
using System.Text.Json;
using ExpertMix.Adapters;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// How the demo runs the Transformer² strategies that classify each question (prompt, label-score, classifier): the
/// domains become <c>--label</c> categories (fallback <c>other</c> = base weights), the classification chat uses the
/// one-line <see cref="SystemText"/> instead of the generated multi-line prompt (the demo base has 256 byte positions),
/// and the classification expert is an SVF expert trained with <c>svf train --mode sft</c> on
/// <see cref="WriteClassifierData"/>'s rows.
/// </summary>
internal static class DemoTransformer2
{
    /// <summary>The classification expert's training rows, in the demo's data folder.</summary>
    public const string ClassifierDataFile = "classifier.train.jsonl";

    /// <summary>
    /// The demo base's chat template: BOS, each system/user message followed by a newline, the assistant's content followed
    /// by EOS; the generation prompt adds nothing. Byte-cheap, so the classification chat fits 256 positions.
    /// </summary>
    public const string ChatTemplate =
        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}"
        + "{% else %}{{ message['content'] }}\n{% endif %}{% endfor %}";

    /// <summary>First-pass generation limit: "Classification: \boxed{arithmetic}" is 34 bytes, plus EOS.</summary>
    public const int FirstPassTokens = 40;

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        ["chemistry"] = "Questions about chemical elements: names, symbols, atomic numbers and groups.",
        ["biology"] = "Questions about amino acids: names, three- and one-letter codes and side-chain classes.",
        ["arithmetic"] = "Questions asking to add, subtract or multiply whole numbers.",
    };

    /// <summary>
    /// The domains as categories in order (the embedded world's with their descriptions, others "Questions of the NAME
    /// domain."), fallback <c>other</c>; null with <paramref name="reason"/> when a name is no valid label.
    /// </summary>
    public static ClassificationCategories? Categories(IReadOnlyList<string> domains, out string? reason)
    {
        try
        {
            reason = null;
            return ClassificationCategories.Create([.. domains.Select(d => new ClassificationCategory(d, Descriptions.GetValueOrDefault(d) ?? $"Questions of the {d} domain."))]);
        }
        catch (ArgumentException e)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>"Classify the question: l₁, l₂, … or fallback." (one line).</summary>
    public static string SystemText(ClassificationCategories categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        return $"Classify the question: {string.Join(", ", categories.ExpertLabels)} or {categories.Fallback}.";
    }

    /// <summary>The completion the classification expert learns for <paramref name="label"/>: <c>Classification: \boxed{label}</c>.</summary>
    public static string Answer(string label) => ClassificationPrompt.AssistantPrefill + label + ClassificationPrompt.LabelClosing;

    /// <summary>
    /// The <c>--label</c>, <c>--experts</c> and <c>--classification-system</c> arguments shared by every Transformer² row.
    /// </summary>
    public static List<string> Arguments(ClassificationCategories categories, IReadOnlyDictionary<string, string> experts)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(experts);
        var args = new List<string> { "--experts", string.Join(',', categories.ExpertLabels.Select(l => $"{l}={experts[l]}")) };
        foreach (var c in categories.Categories) args.AddRange(["--label", $"{c.Label}={c.Description}"]);
        args.AddRange(["--classification-system", SystemText(categories)]);
        return args;
    }

    /// <summary>
    /// Writes the classification expert's training rows to <paramref name="path"/>: for every training question of every
    /// category (the <c>prompt</c> of each row of <paramref name="trainFiles"/>[label]) a messages row [system =
    /// <see cref="SystemText"/>, user = the prompt, assistant = <see cref="Answer"/>(label)], the same chat the first pass
    /// renders. Returns the number of rows.
    /// </summary>
    /// <exception cref="InvalidDataException">A training row has no "prompt" string (names file and line).</exception>
    public static int WriteClassifierData(ClassificationCategories categories, IReadOnlyDictionary<string, string> trainFiles, string path)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(trainFiles);
        string system = SystemText(categories);
        var text = new StringBuilder();
        int rows = 0;
        foreach (string label in categories.ExpertLabels)
        {
            foreach (var (row, where) in JsonLinesFile.Read(trainFiles[label]))
            {
                string prompt = row.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String
                    ? p.GetString()!
                    : throw new InvalidDataException($"{where}: expected a \"prompt\" string");
                var messages = new[]
                {
                    new Dictionary<string, string> { ["role"] = "system", ["content"] = system },
                    new Dictionary<string, string> { ["role"] = "user", ["content"] = prompt },
                    new Dictionary<string, string> { ["role"] = "assistant", ["content"] = Answer(label) },
                };
                text.Append(CliJson.Serialize(new Dictionary<string, object> { ["messages"] = messages })).Append('\n');
                rows++;
            }
        }
        AtomicFile.WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text.ToString()));
        return rows;
    }
}

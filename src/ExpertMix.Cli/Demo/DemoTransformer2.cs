// The demo's Transformer² dispatch setup: the domains as first-pass categories, the short classification system text,
// the chat template of the demo base, and the classification expert's training rows.
using System.Text;
using System.Text.Json;
using ExpertMix.Adapters;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// How the demo runs the Transformer² strategies that classify each question (prompt, label-score, classifier): the
/// domains become <c>--label</c> categories (fallback <c>other</c> = base weights), the classification chat uses the
/// one-line <see cref="SystemText"/> instead of the generated multi-line prompt (the demo base has 256 byte positions),
/// and the classification expert is an SVF expert trained with <c>svf train --mode sft</c> on
/// <see cref="WriteClassifierData"/>'s rows and used by the classifier-score strategy (label scores under the expert:
/// the tiny base never learns to write the <c>Classification: \boxed{…}</c> format itself).
/// </summary>
internal static class DemoTransformer2
{
    /// <summary>The classification expert's training rows, in the demo's data folder.</summary>
    public const string ClassifierDataFile = "classifier.train.jsonl";

    /// <summary>
    /// The demo base's chat template: BOS, each system/user message followed by a newline, the assistant's content followed
    /// by EOS; the generation prompt adds nothing. Byte-cheap, so the classification chat fits 256 positions.
    /// </summary>
    public const string BaseChatTemplate =
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
    /// category (the <c>prompt</c> of each row of <paramref name="trainFiles"/>[label]) a prompt/completion row whose
    /// prompt is the first pass's classification chat prefilled with <c>Classification: \boxed{</c>
    /// (<see cref="ClassificationPrompt.Render"/> with <see cref="SystemText"/>; the template's BOS is dropped when the
    /// tokenizer adds its own, so the tokens equal <see cref="ClassificationPrompt.Encode"/>'s) and whose completion is
    /// <c>label}</c>: the loss falls on exactly the tokens the classifier-score first pass scores. Returns the number of rows.
    /// </summary>
    /// <exception cref="InvalidDataException">A training row has no "prompt" string (names file and line).</exception>
    public static int WriteClassifierData(ClassificationCategories categories, IReadOnlyDictionary<string, string> trainFiles, ChatTemplate template, Tokenizer tokenizer, string path)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(trainFiles);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        string system = SystemText(categories);
        var text = new StringBuilder();
        int rows = 0;
        foreach (string label in categories.ExpertLabels)
        {
            foreach (var (row, where) in JsonLinesFile.Read(trainFiles[label]))
            {
                string question = row.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String
                    ? p.GetString()!
                    : throw new InvalidDataException($"{where}: expected a \"prompt\" string");
                string prompt = ClassificationPrompt.Render(template, question, ClassificationPrompt.AssistantPrefill, system);
                if (tokenizer.AddsBos && template.BosToken is { Length: > 0 } bos && prompt.StartsWith(bos, StringComparison.Ordinal)) prompt = prompt[bos.Length..];
                var output = new Dictionary<string, string> { ["prompt"] = prompt, ["completion"] = label + ClassificationPrompt.LabelClosing };
                text.Append(CliJson.Serialize(output)).Append('\n');
                rows++;
            }
        }
        AtomicFile.WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text.ToString()));
        return rows;
    }
}

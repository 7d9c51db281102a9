// Transformer² §9.1: the first-pass classification prompt (exact bytes), its \boxed{…} parser and the chat it is sent in.
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>How <see cref="ClassificationPrompt.Parse"/> maps the boxed capture to a label.</summary>
public enum LabelParsing
{
    /// <summary>The reference: the capture must be exactly an expert label (paper: <c>code</c>, <c>math</c> or <c>reasoning</c>; case-sensitive), else the fallback (<c>other</c>).</summary>
    Faithful,

    /// <summary><c>--lenient-labels</c>: the capture is trimmed and lower-cased (invariant culture) and matched against the lower-cased labels.</summary>
    Lenient,
}

/// <summary>
/// The Transformer² prompt strategy's first pass (spec §9.1): system = <see cref="SystemPrompt"/>, user = the raw
/// question (first present field of <c>problem</c>, <c>question</c>, <c>instruction</c>), rendered with the model's chat
/// template; the generated answer is parsed by <see cref="Parse"/>. Expert map: code → MBPP expert, math → GSM8K
/// expert, reasoning → ARC-Easy expert, other → the base weights. User categories: <see cref="ClassificationCategories"/>.
/// </summary>
internal static class ClassificationPrompt
{
    /// <summary>Label of programming questions.</summary>
    public const string Code = "code";

    /// <summary>Label of mathematics questions.</summary>
    public const string Math = "math";

    /// <summary>Label of reasoning questions.</summary>
    public const string Reasoning = "reasoning";

    /// <summary>Label of everything else (dispatches to the base weights).</summary>
    public const string Other = "other";

    /// <summary>The assistant prefill of the cheap label-score pass (§9.4): the answer format up to the open brace.</summary>
    public const string AssistantPrefill = "Classification: \\boxed{";

    /// <summary>The closing text scored after each label in the label-score pass.</summary>
    public const string LabelClosing = "}";

    /// <summary>
    /// The reference system prompt, byte for byte: it starts with <c>\n</c>, every non-empty line is indented by 4
    /// spaces (blank lines are empty), item 3 ends with a space after "understanding.", it ends with <c>\n</c> + 4
    /// spaces, and backslashes are single. (Llama-3's template trims the message, so there only the first line loses
    /// its indentation.)
    /// </summary>
    public const string SystemPrompt =
        "\n" +
        "    # Analyze the given question and classify it into one of four categories: 'code', 'math', 'reasoning' or 'other'. Follow these guidelines:\n" +
        "\n" +
        "    1. Code: Questions asking for programming solutions, functions, algorithms. Often includes specific programming terms, language syntax, or data structures.\n" +
        "    2. Math: Questions involving mathematical calculations, formulas, statistics. Often includes numbers, equations, or mathematical operations.\n" +
        "    3. Reasoning: Questions requiring logical thinking, application of scientific knowledge, or critical analysis of information. Often presents statements that need evaluation based on general understanding. \n" +
        "    4. Other: Questions not clearly fit into above categories.\n" +
        "\n" +
        "    Instructions:\n" +
        "    - Consider the primary focus, skills, and knowledge required to answer the question.\n" +
        "    - If a question spans multiple categories, choose the most dominant one.\n" +
        "    - Provide your final classification within \\boxed{} notation. Example: \\boxed{reasoning}\n" +
        "\n" +
        "    Format your response as follows:\n" +
        "    Classification: \\boxed{category}\n" +
        "    ";

    /// <summary>The paper's four labels in dispatch order: code, math, reasoning, other (<see cref="ClassificationCategories.Paper"/>).</summary>
    public static IReadOnlyList<string> Labels => ClassificationCategories.Paper.Labels;

    /// <summary>The record fields searched for the question, in order: problem, question, instruction.</summary>
    public static IReadOnlyList<string> QuestionFields { get; } = ["problem", "question", "instruction"];

    /// <summary>
    /// The label of a first-pass answer under the paper's categories (<see cref="ClassificationCategories.Parse"/> of
    /// <see cref="ClassificationCategories.Paper"/>): the capture c of the first match of <c>\\boxed\{([^}]*)\}</c>;
    /// c' = c (faithful) or lower(trim(c)) (lenient); the label is c' when c' ∈ {code, math, reasoning}, else <c>other</c>
    /// (also when nothing matches).
    /// </summary>
    public static string Parse(string output, LabelParsing parsing = LabelParsing.Faithful) => ClassificationCategories.Paper.Parse(output, parsing);

    /// <summary>The question of a data record: the value of the first present (non-null) field of <see cref="QuestionFields"/>.</summary>
    /// <exception cref="ArgumentException">The record has none of the fields (the message lists its keys).</exception>
    public static string QuestionOf(IReadOnlyDictionary<string, string?> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        foreach (string field in QuestionFields)
        {
            if (record.TryGetValue(field, out var v) && v is not null) return v;
        }
        throw new ArgumentException($"the record has none of the question fields {string.Join(", ", QuestionFields)} (keys: {string.Join(", ", record.Keys)})", nameof(record));
    }

    /// <summary>
    /// The first-pass messages: [system = <paramref name="system"/> (default <see cref="SystemPrompt"/>, the reference
    /// text), user = <paramref name="question"/>]. A shorter system text is for models whose positions cannot hold the
    /// reference one; results with it are not the reference strategy.
    /// </summary>
    public static IReadOnlyList<ChatMessage> Messages(string question, string? system = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        return [new ChatMessage("system", system ?? SystemPrompt), new ChatMessage("user", question)];
    }

    /// <summary>
    /// The first-pass prompt text: <see cref="Messages"/> rendered by <paramref name="template"/> with the generation
    /// prompt (as <c>Generator.EncodePrompt</c> does for chat prompts), followed by <paramref name="assistantPrefill"/>
    /// (empty for the generating pass, <see cref="AssistantPrefill"/> for the label-score pass).
    /// </summary>
    public static string Render(ChatTemplate template, string question, string assistantPrefill = "", string? system = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(assistantPrefill);
        string text = template.Render(new ChatTemplateInput(Messages(question, system))
        {
            AddGenerationPrompt = true,
            BosToken = template.BosToken,
            EosToken = template.EosToken,
        });
        return text + assistantPrefill;
    }

    /// <summary>Token ids of <see cref="Render"/>'s text; the template writes any BOS itself, so no special tokens are added.</summary>
    public static IReadOnlyList<int> Encode(Tokenizer tokenizer, ChatTemplate template, string question, string assistantPrefill = "", string? system = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer.Encode(Render(template, question, assistantPrefill, system), SpecialTokens.None);
    }
}

// Converters from the raw benchmark files in shared/data/<set>/ to prompt/completion JSONL rows.
using System.Text.Encodings.Web;
using System.Text.Json;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>A prompt/completion pair produced by a converter.</summary>
/// <param name="Prompt">Text without loss; ends with a newline.</param>
/// <param name="Completion">Text with loss; no leading space (so SentencePiece and byte-level tokenizers both encode it naturally).</param>
internal sealed record PromptCompletion(string Prompt, string Completion);

/// <summary>Which PubMedQA (PQA-L) items to convert.</summary>
internal enum PubMedQaSplit
{
    /// <summary>The 500 items not listed in test_ground_truth.json (safe for training); the default.</summary>
    Train,

    /// <summary>The 500 items of the standard test split (test_ground_truth.json).</summary>
    Test,

    /// <summary>All 1000 items.</summary>
    All,
}

/// <summary>
/// Converters from the raw data sets to <c>{"prompt", "completion"}</c> JSONL rows for
/// <see cref="JsonlDataReader"/>. Each <c>Read*</c> method yields the rows of one source file, each
/// non-<c>Read</c> method writes them atomically (<see cref="AtomicFile"/>) and returns the row count.
/// Malformed input raises <see cref="InvalidDataException"/> naming the file (and line or key).
/// </summary>
internal static partial class DatasetConverters
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The set names <see cref="Convert"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gsm8k", "pubmedqa", "tatqa", "arc", "mbpp"];

    /// <summary>
    /// Converts the set <paramref name="name"/> (case-insensitive, one of <see cref="Names"/>) from
    /// <paramref name="source"/>: a file, or the set's folder, where the default files are gsm8k/train.jsonl,
    /// pubmedqa/ori_pqal.json (<see cref="PubMedQaSplit.Train"/>), tatqa/tatqa_dataset_dev.json,
    /// arc/ARC-Easy-test.jsonl then arc/ARC-Challenge-test.jsonl, mbpp/mbpp.jsonl.
    /// </summary>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="ArgumentException">Unknown set name.</exception>
    /// <exception cref="FileNotFoundException">A source file is missing.</exception>
    /// <exception cref="InvalidDataException">A source file is malformed.</exception>
    public static int Convert(string name, string source, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(outputPath);
        bool dir = Directory.Exists(source);
        string In(string file) => dir ? Path.Combine(source, file) : source;
        IEnumerable<PromptCompletion> rows = name.ToLowerInvariant() switch
        {
            "gsm8k" => ReadGsm8k(In("train.jsonl")),
            "pubmedqa" => ReadPubMedQa(In("ori_pqal.json"), PubMedQaSplit.Train),
            "tatqa" => ReadTatQa(In("tatqa_dataset_dev.json")),
            "arc" => dir ? ReadArc(In("ARC-Easy-test.jsonl")).Concat(ReadArc(In("ARC-Challenge-test.jsonl"))) : ReadArc(source),
            "mbpp" => ReadMbpp(In("mbpp.jsonl")),
            _ => throw new ArgumentException($"unknown data set '{name}' (known: {string.Join(", ", Names)})", nameof(name)),
        };
        return Write(rows, outputPath);
    }

    /// <summary>Writes rows as <c>{"prompt": …, "completion": …}</c> lines, atomically.</summary>
    /// <returns>The number of rows.</returns>
    public static int Write(IEnumerable<PromptCompletion> rows, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(outputPath);
        var list = rows.ToList();
        AtomicFile.Write(outputPath, stream =>
        {
            foreach (var r in list)
            {
                using (var w = new Utf8JsonWriter(stream, WriterOptions))
                {
                    w.WriteStartObject();
                    w.WriteString("prompt", r.Prompt);
                    w.WriteString("completion", r.Completion);
                    w.WriteEndObject();
                }
                stream.WriteByte((byte)'\n');
            }
        });
        return list.Count;
    }

    /// <summary>GSM8K: see <see cref="ReadGsm8k"/>.</summary>
    public static int Gsm8k(string sourceFile, string outputPath) => Write(ReadGsm8k(sourceFile), outputPath);

    /// <summary>PubMedQA: see <see cref="ReadPubMedQa"/>.</summary>
    public static int PubMedQa(string sourceFile, string outputPath, PubMedQaSplit split = PubMedQaSplit.Train) => Write(ReadPubMedQa(sourceFile, split), outputPath);

    /// <summary>TAT-QA: see <see cref="ReadTatQa"/>.</summary>
    public static int TatQa(string sourceFile, string outputPath) => Write(ReadTatQa(sourceFile), outputPath);

    /// <summary>ARC: see <see cref="ReadArc"/>.</summary>
    public static int Arc(string sourceFile, string outputPath) => Write(ReadArc(sourceFile), outputPath);

    /// <summary>MBPP: see <see cref="ReadMbpp"/>.</summary>
    public static int Mbpp(string sourceFile, string outputPath) => Write(ReadMbpp(sourceFile), outputPath);

    /// <summary>
    /// GSM8K JSONL, one <c>{"question", "answer"}</c> per line (answer = worked solution ending "#### N").
    /// Row: prompt = "Question: {question}\nAnswer:\n", completion = "{answer}" (the whole solution, so the model
    /// learns to reason and end with "#### N").
    /// </summary>
    public static IEnumerable<PromptCompletion> ReadGsm8k(string sourceFile)
    {
        foreach (var (row, where) in JsonLines(sourceFile))
        {
            yield return new PromptCompletion($"Question: {Str(row, "question", where)}\nAnswer:\n", Str(row, "answer", where));
        }
    }

    /// <summary>
    /// ARC JSONL: <c>{"id", "question": {"stem", "choices": [{"text", "label", "para"?}]}, "answerKey"}</c> (the
    /// retrieved "para" evidence of the mirror is ignored). Row: prompt = "Question: {stem}\n" + one
    /// "{label}. {text}\n" per choice + "Answer:\n", completion = "{answerKey}. {text of that choice}".
    /// </summary>
    public static IEnumerable<PromptCompletion> ReadArc(string sourceFile)
    {
        foreach (var (row, where) in JsonLines(sourceFile))
        {
            var question = Prop(row, "question", JsonValueKind.Object, where);
            var prompt = new System.Text.StringBuilder($"Question: {Str(question, "stem", where)}\n");
            string key = Str(row, "answerKey", where);
            string? answer = null;
            foreach (var choice in Prop(question, "choices", JsonValueKind.Array, where).EnumerateArray())
            {
                string label = Str(choice, "label", where), text = Str(choice, "text", where);
                prompt.Append($"{label}. {text}\n");
                if (label == key) answer = $"{label}. {text}";
            }
            prompt.Append("Answer:\n");
            yield return new PromptCompletion(prompt.ToString(), answer ?? throw new InvalidDataException($"{where}: answerKey '{key}' is not one of the choice labels"));
        }
    }

    /// <summary>
    /// MBPP JSONL: <c>{"text", "code", "task_id", "test_setup_code", "test_list", "challenge_test_list"}</c>; every
    /// task id is converted (the upstream README's split is by task id: 11–510 evaluation, 1–10 and 511–1000
    /// train/prompting). Row: prompt = "{text}\nYour code should pass these tests:\n" + one test per line (+
    /// "Test setup:\n{test_setup_code}\n" when present), completion = the code with CRLF (and lone CR) turned into LF.
    /// </summary>
    public static IEnumerable<PromptCompletion> ReadMbpp(string sourceFile)
    {
        foreach (var (row, where) in JsonLines(sourceFile))
        {
            var prompt = new System.Text.StringBuilder($"{Str(row, "text", where)}\nYour code should pass these tests:\n");
            foreach (var test in Prop(row, "test_list", JsonValueKind.Array, where).EnumerateArray())
            {
                if (test.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{where}: \"test_list\" must hold strings");
                prompt.Append(test.GetString()).Append('\n');
            }
            if (row.TryGetProperty("test_setup_code", out var setup) && setup.ValueKind == JsonValueKind.String && setup.GetString()!.Length > 0)
                prompt.Append("Test setup:\n").Append(Lf(setup.GetString()!)).Append('\n');
            yield return new PromptCompletion(Lf(prompt.ToString()), Lf(Str(row, "code", where)));
        }
    }

    private static string Lf(string s) => s.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
}

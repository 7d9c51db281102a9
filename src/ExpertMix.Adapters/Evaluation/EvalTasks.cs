// The built-in tasks: gsm8k, arc, arc-challenge, pubmedqa, mbpp, humaneval, mc-jsonl, qa-jsonl (prompts, gold, verifier, splits).
using System.Text;
using System.Text.Json;
using ExpertMix.Adapters.Training.Data;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>
/// The built-in tasks. Prompts reuse the training converters' layouts (<see cref="DatasetConverters"/>) preceded by
/// the reference system text and a blank line. Splits (documented per task in <see cref="EvalTask.SplitRule"/>):
/// official ones where the data has them; otherwise a deterministic hold-out — an item is dev when
/// FNV-1a(id) mod 10 = 0 (about 10%), test otherwise — so dev and test never overlap; numbers on such test parts
/// are "not comparable to the paper".
/// </summary>
internal static class EvalTasks
{
    /// <summary>Reference GSM8K system text.</summary>
    public const string Gsm8kSystem = "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

    /// <summary>Reference ARC system text.</summary>
    public const string ArcSystem = "The following are multiple choice questions (with answers). Think step by step and then finish your answer with \"the answer is (X)\" where X is the correct letter choice.";

    /// <summary>Reference MBPP system text (used with the "@@ Instruction / @@ Response" layout).</summary>
    public const string MbppSystem = "You are an exceptionally intelligent coding assistant that consistently delivers accurate and reliable responses to user instructions.";

    /// <summary>PubMedQA system text (ExpertMix; the reference has no PubMedQA task).</summary>
    public const string PubMedQaSystem = "Answer the question from the context, then give your decision as \"Decision: yes\", \"Decision: no\" or \"Decision: maybe\".";

    /// <summary>The reference stop strings plus the layouts' next-question marker.</summary>
    public static IReadOnlyList<string> ReferenceStops { get; } = ["Instruction:", "Instruction", "Response:", "Response", "\nQuestion:"];

    /// <summary>The usual HumanEval stops: a new top-level statement ends the completed function.</summary>
    public static IReadOnlyList<string> HumanEvalStops { get; } = ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\n```"];

    /// <summary>Task names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gsm8k", "arc", "arc-challenge", "pubmedqa", "mbpp", "humaneval", "mc-jsonl", "qa-jsonl"];

    private const string HoldOutRule = "dev = items with FNV-1a(id) mod 10 = 0, test = the rest (not comparable to the paper)";

    /// <summary>The task called <paramref name="name"/>; <paramref name="codeRunner"/> serves the code tasks.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static EvalTask Get(string name, CodeRunner? codeRunner = null) => name switch
    {
        "gsm8k" => new EvalTask
        {
            Name = name, Verifier = new Gsm8kVerifier(), StopStrings = ReferenceStops,
            SplitRule = "directory: test = test.jsonl, dev = odd rows of train.jsonl (reference valid); single file: " + HoldOutRule,
            Load = LoadGsm8k,
        },
        "arc" or "arc-challenge" => new EvalTask
        {
            Name = name, Verifier = new ChoiceLetterVerifier(), StopStrings = ReferenceStops,
            SplitRule = "ARC-" + (name == "arc" ? "Easy" : "Challenge") + "-test.jsonl (or the file given); only test files are staged: " + HoldOutRule,
            Load = (data, split) => LoadArc(name == "arc" ? "ARC-Easy-test.jsonl" : "ARC-Challenge-test.jsonl", data, split),
        },
        "pubmedqa" => new EvalTask
        {
            Name = name, Verifier = new YesNoMaybeVerifier(), StopStrings = ReferenceStops, MaxNewTokens = 256,
            SplitRule = "test = the 500 PMIDs of test_ground_truth.json, dev = the other 500 of ori_pqal.json",
            Load = LoadPubMedQa,
        },
        "mbpp" => new EvalTask
        {
            Name = name, Verifier = new CodeVerifier(codeRunner), StopStrings = ["\n@@ Instruction", "\nQuestion:"],
            SplitRule = "upstream README split by task_id: test = 11–510, dev = 511–600 (validation); original MBPP, not EvalPlus MBPP-Pro (not comparable to the paper)",
            Load = LoadMbpp,
        },
        "humaneval" => new EvalTask
        {
            Name = name, Verifier = new CodeVerifier(codeRunner), StopStrings = HumanEvalStops,
            SplitRule = "HumanEval.jsonl(.gz) has no train split: " + HoldOutRule,
            Load = LoadHumanEval,
        },
        "mc-jsonl" => new EvalTask
        {
            Name = name, Verifier = new ChoiceLetterVerifier(), StopStrings = ReferenceStops,
            SplitRule = "rows {\"id\"?, \"question\", \"choices\": [text…] or [{label, text}…], \"answer\": letter or 0-based index}: " + HoldOutRule,
            Load = LoadMcJsonl,
        },
        "qa-jsonl" => new EvalTask
        {
            Name = name, Verifier = new AnswerPrefixVerifier(), StopStrings = ["\n"], MaxNewTokens = 32,
            SplitRule = "rows with \"split\": \"dev\" or \"test\" go there; rows without one: " + HoldOutRule,
            Load = LoadQaJsonl,
        },
        _ => throw new ArgumentException($"unknown eval task '{name}' (expected one of: {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>True when <paramref name="id"/> belongs to the dev hold-out: FNV-1a-32 of its UTF-8 bytes mod 10 = 0.</summary>
    public static bool IsHoldOutDev(string id)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(id)) h = (h ^ b) * 16777619;
        return h % 10 == 0;
    }

    private static IReadOnlyList<EvalExample> HoldOut(IEnumerable<EvalExample> rows, EvalSplit split) =>
        [.. rows.Where(r => IsHoldOutDev(r.Id) == (split == EvalSplit.Dev))];

    private static string WithSystem(string system, string prompt) => system + "\n\n" + prompt;

    /// <summary>A layout prompt "Question: …\nAnswer:\n" without its "Question: " head and "Answer:" tail (what §9.1 classifies).</summary>
    internal static string RawQuestion(string layoutPrompt)
    {
        string q = layoutPrompt.StartsWith("Question: ", StringComparison.Ordinal) ? layoutPrompt["Question: ".Length..] : layoutPrompt;
        q = q.TrimEnd('\n');
        if (q.EndsWith("Answer:", StringComparison.Ordinal)) q = q[..^"Answer:".Length];
        return q.TrimEnd('\n');
    }

    private static string FileIn(string data, string name)
    {
        string path = Directory.Exists(data) ? Path.Combine(data, name) : data;
        return File.Exists(path) ? path : throw new FileNotFoundException($"eval data not found: {path} (expected {name} or a directory holding it)", path);
    }

    private static IReadOnlyList<EvalExample> LoadGsm8k(string data, EvalSplit split)
    {
        IEnumerable<EvalExample> Read(string file) => DatasetConverters.ReadGsm8k(file).Select((r, i) =>
            new EvalExample($"{Path.GetFileNameWithoutExtension(file)}/{i}", WithSystem(Gsm8kSystem, r.Prompt), Gsm8kVerifier.GoldNumber(r.Completion)) { Question = RawQuestion(r.Prompt) });
        if (!Directory.Exists(data)) return HoldOut(Read(FileIn(data, "test.jsonl")), split);
        return split == EvalSplit.Test ? [.. Read(FileIn(data, "test.jsonl"))] : [.. Read(FileIn(data, "train.jsonl")).Where((_, i) => i % 2 == 1)];
    }

    private static IReadOnlyList<EvalExample> LoadArc(string fileName, string data, EvalSplit split)
    {
        string file = FileIn(data, fileName);
        var ids = JsonLines(file).Select(r => Str(r.Row, "id", r.Where)).ToList();
        var rows = DatasetConverters.ReadArc(file).Select((r, i) =>
            new EvalExample(ids[i], WithSystem(ArcSystem, r.Prompt), r.Completion[..r.Completion.IndexOf('.', StringComparison.Ordinal)]) { Question = RawQuestion(r.Prompt) });
        return HoldOut(rows, split);
    }

    private static IReadOnlyList<EvalExample> LoadPubMedQa(string data, EvalSplit split)
    {
        string file = FileIn(data, "ori_pqal.json");
        var which = split == EvalSplit.Test ? PubMedQaSplit.Test : PubMedQaSplit.Train;
        var rows = DatasetConverters.ReadPubMedQa(file, which).ToList();
        string gtFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "test_ground_truth.json");
        using var gt = JsonDocument.Parse(File.ReadAllText(gtFile));
        var test = gt.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var ids = doc.RootElement.EnumerateObject().Select(p => p.Name).Where(id => test.Contains(id) == (split == EvalSplit.Test)).ToList();
        if (ids.Count != rows.Count) throw new InvalidDataException($"{file}: {ids.Count} PMIDs but {rows.Count} converted rows");
        return [.. rows.Select((r, i) =>
        {
            string decision = r.Completion[(r.Completion.LastIndexOf("Decision:", StringComparison.Ordinal) + 9)..].Trim();
            return new EvalExample(ids[i], WithSystem(PubMedQaSystem, r.Prompt), decision) { Question = RawQuestion(r.Prompt) };
        })];
    }

    private static IReadOnlyList<EvalExample> LoadMbpp(string data, EvalSplit split)
    {
        string file = FileIn(data, "mbpp.jsonl");
        var prompts = DatasetConverters.ReadMbpp(file).ToList();
        var list = new List<EvalExample>();
        int i = 0;
        foreach (var (row, where) in JsonLines(file))
        {
            int id = Prop(row, "task_id", JsonValueKind.Number, where).GetInt32();
            var prompt = prompts[i++].Prompt;
            bool inSplit = split == EvalSplit.Test ? id is >= 11 and <= 510 : id is >= 511 and <= 600;
            if (!inSplit) continue;
            var tests = new StringBuilder();
            if (row.TryGetProperty("test_setup_code", out var setup) && setup.ValueKind == JsonValueKind.String) tests.Append(setup.GetString()).Append('\n');
            foreach (var t in Prop(row, "test_list", JsonValueKind.Array, where).EnumerateArray()) tests.Append(t.GetString()).Append('\n');
            string gold = tests.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
            list.Add(new EvalExample($"mbpp/{id}", $"{MbppSystem}\n\n@@ Instruction\n{prompt}\n@@ Response\n", gold) { Question = prompt });
        }
        return list;
    }

    private static IReadOnlyList<EvalExample> LoadHumanEval(string data, EvalSplit split)
    {
        string file = Directory.Exists(data)
            ? (File.Exists(Path.Combine(data, "HumanEval.jsonl")) ? Path.Combine(data, "HumanEval.jsonl") : FileIn(data, "HumanEval.jsonl.gz"))
            : FileIn(data, "HumanEval.jsonl.gz");
        var rows = JsonLines(file).Select(r =>
        {
            string prompt = Str(r.Row, "prompt", r.Where);
            string gold = Str(r.Row, "test", r.Where) + $"\n\ncheck({Str(r.Row, "entry_point", r.Where)})\n";
            return new EvalExample(Str(r.Row, "task_id", r.Where), prompt, gold) { VerifyPrefix = prompt };
        });
        return HoldOut(rows, split);
    }

    private static IReadOnlyList<EvalExample> LoadMcJsonl(string data, EvalSplit split)
    {
        string file = FileIn(data, "data.jsonl");
        int index = 0;
        var rows = new List<EvalExample>();
        foreach (var (row, where) in JsonLines(file))
        {
            string id = row.TryGetProperty("id", out var idEl) ? idEl.ToString() : $"{Path.GetFileNameWithoutExtension(file)}/{index}";
            index++;
            var prompt = new StringBuilder($"Question: {Str(row, "question", where)}\n");
            var labels = new List<string>();
            int c = 0;
            foreach (var choice in Prop(row, "choices", JsonValueKind.Array, where).EnumerateArray())
            {
                string label = choice.ValueKind == JsonValueKind.Object ? Str(choice, "label", where) : ((char)('A' + c)).ToString();
                string text = choice.ValueKind == JsonValueKind.Object ? Str(choice, "text", where) : choice.GetString() ?? "";
                prompt.Append($"{label}. {text}\n");
                labels.Add(label);
                c++;
            }
            prompt.Append("Answer:\n");
            if (!row.TryGetProperty("answer", out var ans)) throw new InvalidDataException($"{where}: missing \"answer\"");
            string gold = ans.ValueKind == JsonValueKind.Number
                ? (ans.GetInt32() is var k && k >= 0 && k < labels.Count ? labels[k] : throw new InvalidDataException($"{where}: answer index {ans} outside 0..{labels.Count - 1}"))
                : ans.GetString() ?? "";
            if (!labels.Contains(gold)) throw new InvalidDataException($"{where}: answer '{gold}' is not one of the labels {string.Join(",", labels)}");
            rows.Add(new EvalExample(id, WithSystem(ArcSystem, prompt.ToString()), gold) { Question = RawQuestion(prompt.ToString()) });
        }
        return HoldOut(rows, split);
    }

    /// <summary>
    /// Generic short-answer rows <c>{"prompt": …, "answer": …, "id"?: …, "split"?: "dev"|"test"}</c>: the prompt is
    /// used as written (no system text), the answer is the gold for <see cref="AnswerPrefixVerifier"/>.
    /// </summary>
    private static IReadOnlyList<EvalExample> LoadQaJsonl(string data, EvalSplit split)
    {
        string file = FileIn(data, "data.jsonl");
        int index = 0;
        var unsplit = new List<EvalExample>();
        var chosen = new List<EvalExample>();
        foreach (var (row, where) in JsonLines(file))
        {
            string id = row.TryGetProperty("id", out var idEl) ? idEl.ToString() : $"{Path.GetFileNameWithoutExtension(file)}/{index}";
            index++;
            var example = new EvalExample(id, Str(row, "prompt", where), Str(row, "answer", where));
            if (!row.TryGetProperty("split", out var splitEl))
            {
                unsplit.Add(example);
                continue;
            }
            string rowSplit = splitEl.GetString() ?? "";
            if (rowSplit is not ("dev" or "test")) throw new InvalidDataException($"{where}: \"split\" must be \"dev\" or \"test\", not \"{rowSplit}\"");
            if ((rowSplit == "dev") == (split == EvalSplit.Dev)) chosen.Add(example);
        }
        return [.. chosen, .. HoldOut(unsplit, split)];
    }

    private static IEnumerable<(JsonElement Row, string Where)> JsonLines(string path) => JsonLinesFile.Read(path);

    private static JsonElement Prop(JsonElement obj, string key, JsonValueKind kind, string where) =>
        obj.TryGetProperty(key, out var v) && v.ValueKind == kind ? v : throw new InvalidDataException($"{where}: expected \"{key}\" ({kind})");

    private static string Str(JsonElement obj, string key, string where) => Prop(obj, key, JsonValueKind.String, where).GetString()!;
}

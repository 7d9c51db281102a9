// Saves the demo world as JSONL files that `lora train`, `xlora train`, `svf train` and `eval --task qa-jsonl` all read.
using System.Text;
using System.Text.Json;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// Writes one file per domain and split, <c>{domain}.{train|dev|test}.jsonl</c> (domains chemistry, biology, arithmetic,
/// cross), plus <c>corpus.jsonl</c>. A question row is
/// <c>{"id", "domain", "prompt", "completion", "answer"}</c> and, in dev/test files, <c>"split": "dev"|"test"</c>:
/// the training reader uses prompt/completion (loss on the completion) and ignores the rest; the qa-jsonl eval task
/// uses prompt/answer/id/split and ignores the rest. A corpus row is <c>{"text": sentence}</c>. Each file is written
/// atomically, UTF-8 without BOM, one object per line.
/// </summary>
internal static class DemoWorldWriter
{
    /// <summary>The corpus file name.</summary>
    public const string CorpusFile = "corpus.jsonl";

    /// <summary>The file name of <paramref name="domain"/>'s <paramref name="split"/>, e.g. <c>chemistry.test.jsonl</c>.</summary>
    public static string FileName(string domain, DemoSplit split) => $"{domain}.{split.ToString().ToLowerInvariant()}.jsonl";

    /// <summary>Writes every file into <paramref name="directory"/> (created if needed) and returns their paths.</summary>
    public static IReadOnlyList<string> Write(DemoWorld world, string directory)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var domain in world.Domains.Append(world.CrossDomain))
        {
            foreach (var split in Enum.GetValues<DemoSplit>())
            {
                string path = Path.Combine(directory, FileName(domain.Name, split));
                WriteLines(path, domain.Get(split).Select(e => Row(e, split)));
                written.Add(path);
            }
        }
        string corpus = Path.Combine(directory, CorpusFile);
        WriteLines(corpus, world.Corpus.Select(s => JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = s }, CliJson.Options)));
        written.Add(corpus);
        return written;
    }

    /// <summary>One question row as JSON (see the class summary).</summary>
    public static string Row(DemoExample example, DemoSplit split)
    {
        ArgumentNullException.ThrowIfNull(example);
        var row = new Dictionary<string, string>
        {
            ["id"] = example.Id,
            ["domain"] = example.Domain,
            ["prompt"] = example.Prompt,
            ["completion"] = example.Completion,
            ["answer"] = example.Answer,
        };
        if (split != DemoSplit.Train) row["split"] = split.ToString().ToLowerInvariant();
        return JsonSerializer.Serialize(row, CliJson.Options);
    }

    private static void WriteLines(string path, IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines) text.Append(line).Append('\n');
        AtomicFile.WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text.ToString()));
    }
}

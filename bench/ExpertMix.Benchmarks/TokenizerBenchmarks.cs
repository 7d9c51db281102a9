// BenchmarkDotNet: tokenizer encode throughput (MB/s of UTF-8 input) on English text, GPT-2 and Llama-2 style, one thread.
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Benchmarks;

/// <summary>
/// Encodes ~1 MB of GSM8K questions and answers from shared/data (set EXPERTMIX_SHARED, or run from a checkout that
/// has shared/ beside it). MB/s = <see cref="InputBytes"/> / mean time. Whole-corpus encodes run in one call: GPT-2
/// splits into words (cache hits after the first pass), Llama-2 has no pre-tokenizer so the corpus is one BPE word.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private Tokenizer _tokenizer = null!;
    private string _corpus = "";
    private string[] _documents = [];

    /// <summary>Which shared/tokenizers folder.</summary>
    [Params("gpt2", "llama2")]
    public string Name { get; set; } = "gpt2";

    /// <summary>UTF-8 bytes of the corpus.</summary>
    public int InputBytes { get; private set; }

    /// <summary>Loads the tokenizer and the corpus.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string shared = FindShared();
        _tokenizer = Tokenizer.FromDirectory(Path.Combine(shared, "tokenizers", Name));
        var docs = new List<string>();
        int bytes = 0;
        foreach (string line in File.ReadLines(Path.Combine(shared, "data", "gsm8k", "train.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            string text = doc.RootElement.GetProperty("question").GetString() + "\n" + doc.RootElement.GetProperty("answer").GetString();
            docs.Add(text);
            bytes += Encoding.UTF8.GetByteCount(text) + 2;
            if (bytes >= 1 << 20) break;
        }
        _documents = [.. docs];
        _corpus = string.Join("\n\n", docs);
        InputBytes = Encoding.UTF8.GetByteCount(_corpus);
    }

    /// <summary>The whole corpus as one string.</summary>
    [Benchmark(Baseline = true)]
    public int EncodeCorpus() => _tokenizer.Encode(_corpus, SpecialTokens.None).Count;

    /// <summary>Each question+answer as its own call (with special tokens).</summary>
    [Benchmark]
    public int EncodeDocuments()
    {
        int n = 0;
        foreach (string d in _documents) n += _tokenizer.Encode(d, SpecialTokens.Add).Count;
        return n;
    }

    private static string FindShared()
    {
        string? env = Environment.GetEnvironmentVariable("EXPERTMIX_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "tokenizers"))) return candidate;
        }
        throw new DirectoryNotFoundException("shared/ not found: set EXPERTMIX_SHARED to the folder holding tokenizers/ and data/");
    }
}

// Model and adapter directories the doc snippets run on, plus console capture for snippets that print.
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Docs;

/// <summary>Paths of committed fixtures and temp copies for the doc tests.</summary>
internal static class DocFixtures
{
    /// <summary>A committed fixture under tests/ExpertMix.Adapters.Tests/Golden (PEFT adapters, X-LoRA checkpoints written by the references).</summary>
    public static string AdapterGolden(string name) => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Adapters.Tests", "Golden", name);

    /// <summary>
    /// A temp copy of the tiny random Llama of tests/ExpertMix.Models.Tests/Golden/tiny-llama (2 layers, 256-token
    /// vocabulary, 64 positions; two safetensors shards + index) with a byte-level tokenizer.json added, so it can
    /// generate. The PEFT and X-LoRA fixtures were trained for this base. The caller deletes it.
    /// </summary>
    public static string TinyLlamaWithTokenizer()
    {
        string src = Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Golden", "tiny-llama");
        string dir = TempDirectory("tiny-llama");
        foreach (var f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        ByteTokenizerFile.Write(dir);
        return dir;
    }

    /// <summary>A new empty temp directory.</summary>
    public static string TempDirectory(string purpose)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"expertmix-docs-{purpose}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Deletes directories that exist.</summary>
    public static void Delete(params string[] dirs)
    {
        foreach (var d in dirs)
        {
            if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }
}

/// <summary>Redirects Console.Out until disposed (tests using it join the non-parallel "Console" collection).</summary>
internal sealed class ConsoleCapture : IDisposable
{
    private readonly TextWriter _old = Console.Out;
    private readonly StringWriter _writer = new();

    public ConsoleCapture() => Console.SetOut(_writer);

    /// <summary>What was printed so far.</summary>
    public string Text => _writer.ToString();

    public void Dispose()
    {
        Console.SetOut(_old);
        _writer.Dispose();
    }
}

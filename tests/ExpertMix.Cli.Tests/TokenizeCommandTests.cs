// `expertmix tokenize`: ids and tokens of the shared GPT-2 tokenizer (golden row from the HF tokenizers library).
using System.Text.Json;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests;

[Collection("Console")]
public sealed class TokenizeCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [SkippableFact]
    public void Json_output_has_the_hugging_face_ids_and_tokens()
    {
        string dir = SharedData.Require("tokenizers/gpt2");
        // shared/tokenizers/gpt2/golden.jsonl row "Hello   world" (edge:inner-spaces), made with the HF tokenizers library.
        var (code, stdout, stderr) = Run("tokenize", "--model", dir, "--text", "Hello   world", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal([15496, 220, 220, 995], doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["Hello", "Ġ", "Ġ", "Ġworld"], doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()));
    }

    [SkippableFact]
    public void Table_output_lists_ids_and_tokens()
    {
        string dir = SharedData.Require("tokenizers/gpt2");
        var (code, stdout, stderr) = Run("tokenize", "--model", dir, "--text", "Hello world<|endoftext|>");
        Assert.True(code == 0, stderr);
        Assert.Contains("15496", stdout, StringComparison.Ordinal);
        Assert.Contains("Ġworld", stdout, StringComparison.Ordinal);
        Assert.Contains("50256", stdout, StringComparison.Ordinal);
        Assert.Contains("3 tokens", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_without_tokenizer_is_one_error_line_and_exit_code_2()
    {
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-tokcli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var (code, stdout, stderr) = Run("tokenize", "--model", dir, "--text", "x");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: " + dir, stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Unsupported_tokenizer_component_is_a_user_error()
    {
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-tokcli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
            var (code, _, stderr) = Run("tokenize", "--model", dir, "--text", "x", "--json");
            Assert.Equal(2, code);
            Assert.Contains("model type \"Unigram\" is not supported", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

// Generator.Load: one call gives the model, tokenizer and chat template of a directory, and generates like the three-call form.
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Generation;

public sealed class GeneratorLoadTests : IDisposable
{
    private readonly string _dir = TinyChatLlama.Write();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LoadGeneratesExactlyWhatTheModelTokenizerAndTemplateLoadedSeparatelyGenerate()
    {
        var options = new GenerationOptions { MaxNewTokens = 12 };
        var loaded = Generator.Load(_dir);
        using var model = CausalLm.Load(_dir);
        var manual = new Generator(model, Tokenizer.FromDirectory(_dir), ChatTemplate.FromTokenizerConfig(Path.Combine(_dir, "tokenizer_config.json")));
        try
        {
            Assert.NotNull(loaded.ChatTemplate);
            Assert.Equal(manual.Generate("Hello", options).TokenIds, loaded.Generate("Hello", options).TokenIds);
            Assert.Equal(manual.Generate("Hi", options, PromptFormat.Chat).TokenIds, loaded.Generate("Hi", options, PromptFormat.Chat).TokenIds);
        }
        finally
        {
            loaded.Model.Dispose();
        }
    }

    [Fact]
    public void ADirectoryWithoutTokenizerConfigHasNoTemplateAndAMissingTokenizerIsAnErrorNamingTheDirectory()
    {
        File.Delete(Path.Combine(_dir, "tokenizer_config.json"));
        Assert.Null(ChatTemplate.FromDirectory(_dir));
        var loaded = Generator.Load(_dir);
        Assert.Null(loaded.ChatTemplate);
        loaded.Model.Dispose();
        File.Delete(Path.Combine(_dir, "tokenizer.json"));
        var e = Assert.ThrowsAny<Exception>(() => Generator.Load(_dir));
        Assert.Contains(Path.GetFileName(_dir), e.Message, StringComparison.Ordinal);
    }
}

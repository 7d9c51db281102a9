// GenerationOptions validation: ranges, stop strings, EOS ids, warpers under greedy decoding.
using ExpertMix.Models.Generation;

namespace ExpertMix.Models.Tests.Generation;

public class GenerationOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_greedy()
    {
        var o = new GenerationOptions();
        o.Validate();
        Assert.True(o.IsGreedy);
        Assert.Equal(GenerationOptions.DefaultMaxNewTokens, o.MaxNewTokens);
    }

    public static TheoryData<GenerationOptions, string> OutOfRange() => new()
    {
        { new GenerationOptions { MaxNewTokens = 0 }, "MaxNewTokens" },
        { new GenerationOptions { Temperature = -0.1f }, "Temperature" },
        { new GenerationOptions { Temperature = float.NaN }, "Temperature" },
        { new GenerationOptions { Temperature = 1f, TopK = -1 }, "TopK" },
        { new GenerationOptions { Temperature = 1f, TopP = 1.5f }, "TopP" },
        { new GenerationOptions { Temperature = 1f, TopP = float.NaN }, "TopP" },
        { new GenerationOptions { Temperature = 1f, MinP = -0.01f }, "MinP" },
        { new GenerationOptions { RepetitionPenalty = 0f }, "RepetitionPenalty" },
        { new GenerationOptions { RepetitionPenalty = float.PositiveInfinity }, "RepetitionPenalty" },
        { new GenerationOptions { KvCacheDType = ExpertMix.Tensors.DType.F16 }, "KvCacheDType" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Out_of_range_values_name_the_option_and_the_allowed_range(GenerationOptions options, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, ex.ParamName);
        Assert.Contains("expected", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_stop_strings_negative_eos_ids_and_warpers_under_greedy_are_rejected()
    {
        Assert.Contains("StopStrings[1]", Assert.Throws<ArgumentException>(new GenerationOptions { StopStrings = ["a", ""] }.Validate).Message, StringComparison.Ordinal);
        Assert.Contains("EosIds[0]", Assert.Throws<ArgumentException>(new GenerationOptions { EosIds = [-2] }.Validate).Message, StringComparison.Ordinal);
        Assert.Contains("Temperature = 0", Assert.Throws<ArgumentException>(new GenerationOptions { TopK = 40 }.Validate).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Sampler(new GenerationOptions { TopP = 0.9f }));
        new GenerationOptions { Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.1f, StopStrings = ["\n\n"], EosIds = [2] }.Validate();
    }
}

// tools/convert_policy_params.py's output (fixture from tools/golden/policy_params.py) as ExpertMix reads it.
using System.Text.Json;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Tests.Lora;

namespace ExpertMix.Adapters.Tests.Svf;

public sealed class PolicyParamsConversionTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Golden", "policy-params-tiny-llama");

    private static string Converted => Path.Combine(Fixture, "converted");

    /// <summary>expected_p.json: the HF order and the bf16 values the script pickled (exact decimals of bf16 numbers).</summary>
    private static (List<string> Order, Dictionary<string, float[]> P) Expected()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixture, "expected_p.json"))).RootElement;
        var order = root.GetProperty("order").EnumerateArray().Select(e => e.GetString()!).ToList();
        var p = root.GetProperty("p").EnumerateObject().ToDictionary(o => o.Name, o => o.Value.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray());
        return (order, p);
    }

    [Fact]
    public void Converted_expert_holds_the_pickled_bf16_values()
    {
        var (order, expected) = Expected();
        using var expert = SvfExpert.Load(Converted);
        Assert.Equal(order.Order(StringComparer.Ordinal), expert.Parameters.Select(x => x.ParamName));
        foreach (var (name, p) in expert.Parameters)
        {
            var values = p.ToArray();
            Assert.Equal(expected[name], values);
            // bf16 values: the low 16 bits of every f32 are zero.
            Assert.All(values, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v) & 0xFFFF));
        }
        Assert.Equal(1f, expert.MaxMult);
        Assert.Equal("tiny-llama", expert.BaseModel);
        Assert.Equal("converted", expert.Config!.TrainingMode);
        Assert.Equal("gate_proj,up_proj,down_proj", expert.Config.Targets);
    }

    [Fact]
    public void Converted_expert_fits_the_basis_ExpertMix_decomposes_and_is_laid_out_like_Save()
    {
        var (order, _) = Expected();
        using var lm = LoraFixtures.Load("tiny-llama");
        using var basis = SvfBasis.Decompose(lm, baseModel: "tiny-llama");
        using var expert = SvfExpert.Load(Converted, basis);          // throws on a basis_sha256 mismatch
        Assert.Equal(basis.Fingerprint, expert.BasisSha256);
        Assert.Equal(order, expert.Parameters.Select(x => x.ParamName));   // basis (HF module) order

        string dir = LoraFixtures.TempDir();
        try
        {
            expert.Save(dir);
            Assert.Equal(File.ReadAllBytes(Path.Combine(Converted, SvfExpert.WeightsFileName)), File.ReadAllBytes(Path.Combine(dir, SvfExpert.WeightsFileName)));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_bf16_model_hashes_its_widened_weights_like_ExpertMix()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Golden", "policy-params-tiny-qwen2", "converted");
        using var lm = LoraFixtures.Load("tiny-qwen2");
        using var basis = SvfBasis.Decompose(lm, baseModel: "tiny-qwen2");
        using var expert = SvfExpert.Load(dir, basis);
        Assert.Equal(basis.Fingerprint, expert.BasisSha256);
        Assert.Equal(basis.Matrices.Select(m => m.ParamName), expert.Parameters.Select(x => x.ParamName));
    }
}

// Parameter manifests (checkpoint names, shapes, dtypes) of every preset, built without weights and approved as text.
using System.Text;
using ExpertMix.Nn;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests;

public class ParameterManifestTests
{
    private static string ApprovalFolder => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Approvals");

    public static TheoryData<string> Presets => new(ModelPresets.All.Keys);

    [Theory]
    [MemberData(nameof(Presets))]
    public void Manifest_matches_the_approved_file(string preset)
    {
        var p = ModelPresets.Get(preset);
        var (model, source) = CausalLm.BuildMeta(p.Config, p.DType);
        using (model)
        {
            Assert.All(model.NamedParameters(), x => Assert.True(MetaTensor.IsMeta(x.Param) || x.Param.Numel <= 1, $"{x.Path} was allocated"));
            var sb = new StringBuilder();
            sb.Append($"# {p.Name}: {p.Description}, {model.Info.Architecture}, {model.Info.ParameterCount:N0} parameters\n");
            foreach (var e in source.Requested) sb.Append(e).Append('\n');
            sb.Append("# linears\n");
            foreach (var s in model.Linears) sb.Append($"{s.ModulePath} [{s.Module.OutFeatures}, {s.Module.InFeatures}]\n");
            ApprovalFile.Verify(ApprovalFolder, $"{nameof(ParameterManifestTests)}.{nameof(Manifest_matches_the_approved_file)}.{preset}", sb.ToString());
        }
    }

    [Theory]
    [InlineData("gpt2-small", 124_439_808L)]
    [InlineData("llama-1b", 1_235_814_400L)]
    [InlineData("qwen2-0.5b", 494_032_768L)]
    [InlineData("mistral-7b", 7_241_732_096L)]
    public void Parameter_counts_match_the_published_models(string preset, long expected)
    {
        var p = ModelPresets.Get(preset);
        var (model, _) = CausalLm.BuildMeta(p.Config, p.DType);
        using (model) Assert.Equal(expected, model.Info.ParameterCount);
    }

    [Fact]
    public void Tiny_checkpoint_names_equal_the_meta_manifest_of_their_config()
    {
        foreach (var name in TinyModels.All)
        {
            var raw = HfConfigJson.Load(Path.Combine(TinyModels.Dir(name), "config.json"));
            var (meta, source) = CausalLm.BuildMeta(raw, Tensors.DType.F32);
            using (meta)
            using (var loaded = CausalLm.Load(TinyModels.Dir(name), LoadOptions.Strict))
            {
                Assert.Equal(loaded.NamedParameters().Select(x => (x.Path, x.Param.Shape)), meta.NamedParameters().Select(x => (x.Path, x.Param.Shape)));
                Assert.NotEmpty(source.Requested);
            }
        }
    }
}

// The layering rule: Tensors ← Nn ← Models ← Adapters ← Cli, references pointing one way only.
using System.Reflection;

namespace ExpertMix.Cli.Tests;

public class ArchitectureTests
{
    private static readonly string[] Layers = ["ExpertMix.Tensors", "ExpertMix.Nn", "ExpertMix.Models", "ExpertMix.Adapters", "expertmix"];

    [Fact]
    public void Assemblies_reference_only_lower_layers()
    {
        for (int i = 0; i < Layers.Length; i++)
        {
            var asm = Assembly.Load(new AssemblyName(Layers[i]));
            var refs = asm.GetReferencedAssemblies().Select(a => a.Name!).ToHashSet();
            for (int j = i + 1; j < Layers.Length; j++)
            {
                Assert.False(refs.Contains(Layers[j]), $"{Layers[i]} must not reference {Layers[j]}");
            }
        }
    }

    [Fact]
    public void Project_files_reference_only_the_layer_below()
    {
        var root = ExpertMix.Testing.RepoPaths.Root;
        string[] projects = ["ExpertMix.Tensors", "ExpertMix.Nn", "ExpertMix.Models", "ExpertMix.Adapters", "ExpertMix.Cli"];
        for (int i = 0; i < projects.Length; i++)
        {
            var text = File.ReadAllText(Path.Combine(root, "src", projects[i], projects[i] + ".csproj"));
            for (int j = i + 1; j < projects.Length; j++)
            {
                Assert.DoesNotContain(projects[j] + ".csproj", text, StringComparison.Ordinal);
            }
            if (i > 0) Assert.Contains(projects[i - 1] + ".csproj", text, StringComparison.Ordinal);
            bool unsafeAllowed = text.Contains("<AllowUnsafeBlocks>true</AllowUnsafeBlocks>", StringComparison.Ordinal);
            Assert.Equal(i == 0, unsafeAllowed);
        }
    }
}

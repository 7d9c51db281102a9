// Transformer2.Load: basis, host, experts and classifier from directories in one call (what `t2 generate` loads).
using ExpertMix.Adapters.Svf;
using ExpertMix.Models.Generation;

namespace ExpertMix.Adapters.Adaptation;

public sealed partial class Transformer2
{
    /// <summary>
    /// Loads a runtime over <paramref name="generator"/>'s model from directories, as <c>expertmix t2 generate</c> does:
    /// the SVF basis (<see cref="SvfAdaptedModel.ResolveBasis"/>: <paramref name="basisPath"/> when given, loaded or
    /// decomposed and saved there; else <c>svf-basis.safetensors</c> in <paramref name="modelDirectory"/>; else a fresh
    /// decomposition of the targets the experts were trained on), an <see cref="SvfHost"/> on it, one
    /// <see cref="SvfExpert"/> per entry of <paramref name="expertDirectories"/> (category code / math / reasoning →
    /// expert directory) and the classification expert in <paramref name="classifierDirectory"/>. The runtime owns all of
    /// them; the caller keeps the model and disposes the runtime first. On failure everything loaded here is released.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown or <c>other</c> category, an expert of another basis, a missing classifier, or few-shot without experts.</exception>
    /// <exception cref="DirectoryNotFoundException">An expert directory that does not exist.</exception>
    /// <exception cref="InvalidDataException">A malformed expert or basis file (named).</exception>
    public static Transformer2 Load(Generator generator, IReadOnlyDictionary<string, string> expertDirectories, Transformer2Options? options = null,
        string? classifierDirectory = null, string? basisPath = null, string? modelDirectory = null, Action<SvfProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(expertDirectories);
        var loaded = new List<SvfExpert>();
        SvfBasis? basis = null;
        SvfHost? host = null;
        try
        {
            string? probeDir = expertDirectories.Values.FirstOrDefault() ?? classifierDirectory;
            SvfTargets? targets = null;
            if (probeDir is not null)
            {
                using var probe = SvfExpert.Load(probeDir);
                targets = SvfAdaptedModel.TargetsOf(probe);
            }
            basis = SvfAdaptedModel.ResolveBasis(generator.Model, basisPath, modelDirectory, targets, progress);
            host = new SvfHost(generator.Model, basis);
            var experts = new Dictionary<string, SvfExpert>(StringComparer.Ordinal);
            foreach (var (category, dir) in expertDirectories)
            {
                var e = SvfExpert.Load(dir, basis, category);
                loaded.Add(e);
                experts[category] = e;
            }
            SvfExpert? classifier = classifierDirectory is null ? null : SvfExpert.Load(classifierDirectory, basis, "classifier");
            if (classifier is not null) loaded.Add(classifier);
            return new Transformer2(generator, host, experts, options, classifier);
        }
        catch
        {
            host?.Dispose();
            foreach (var e in loaded) e.Dispose();
            basis?.Dispose();
            throw;
        }
    }
}

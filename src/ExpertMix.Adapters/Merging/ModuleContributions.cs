// The per-module view of a composition: which adapters cover a module, with their factors, weights and scalings.

namespace ExpertMix.Adapters.Merging;

/// <summary>One covering adapter's factors for a module: ΔW_i = s_i·B_i·A_i with weight w_i.</summary>
internal sealed class Contribution
{
    private FactorTerm? _term;

    public Contribution(int adapterIndex, double weight, double scaling, float[] a, float[] b, int rank, double density)
    {
        AdapterIndex = adapterIndex;
        Weight = weight;
        Scaling = scaling;
        A = a;
        B = b;
        Rank = rank;
        Density = density;
    }

    /// <summary>i: position in the input list (seeds masks).</summary>
    public int AdapterIndex { get; }

    /// <summary>w_i.</summary>
    public double Weight { get; }

    /// <summary>s_i.</summary>
    public double Scaling { get; }

    /// <summary>A_i [r, in].</summary>
    public float[] A { get; }

    /// <summary>B_i [out, r].</summary>
    public float[] B { get; }

    /// <summary>r_i.</summary>
    public int Rank { get; }

    /// <summary>ρ_i.</summary>
    public double Density { get; }

    /// <summary>B_i·A_i as a unit-coefficient f64 term (cached).</summary>
    public FactorTerm UnitTerm(int outFeatures, int inFeatures) => _term ??= FactorTerm.FromLora(1, B, A, Rank, outFeatures, inFeatures);

    /// <summary>The term c·B_i·A_i.</summary>
    public FactorTerm Term(double coef, int outFeatures, int inFeatures) => UnitTerm(outFeatures, inFeatures) with { Coef = coef };
}

/// <summary>A module path with the contributions of every adapter that targets it.</summary>
internal sealed class ModuleContributions
{
    public ModuleContributions(string path, int outFeatures, int inFeatures, List<Contribution> items)
    {
        Path = path;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Items = items;
    }

    /// <summary>HF module path.</summary>
    public string Path { get; }

    /// <summary>out.</summary>
    public int OutFeatures { get; }

    /// <summary>in.</summary>
    public int InFeatures { get; }

    /// <summary>Covering adapters in input order.</summary>
    public List<Contribution> Items { get; }

    /// <summary>T = Σ w_i s_i B_i A_i as factor terms.</summary>
    public List<FactorTerm> TargetTerms() => Items.Select(c => c.Term(c.Weight * c.Scaling, OutFeatures, InFeatures)).ToList();

    /// <summary>The common rank of the covering adapters.</summary>
    /// <exception cref="ArgumentException">Ranks differ (the method needs equal ranks).</exception>
    public int CommonRank(string method)
    {
        int r = Items[0].Rank;
        if (Items.Any(c => c.Rank != r))
        {
            throw new ArgumentException($"{method} needs equal ranks, but module {Path} has ranks {string.Join(", ", Items.Select(c => c.Rank))}; use cat, delta-sum or a dense method");
        }
        return r;
    }

    /// <summary>Gathers every module of the inputs (union of module paths, sorted) with its covering adapters.</summary>
    /// <exception cref="ArgumentException">No inputs, a non-finite weight, or two adapters disagreeing on a module's shape.</exception>
    public static List<ModuleContributions> Gather(IReadOnlyList<MergeInput> inputs, double defaultDensity)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("merge needs at least one adapter");
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i]?.Adapter is null) throw new ArgumentException($"merge input {i} has no adapter");
            if (!float.IsFinite(inputs[i].Weight)) throw new ArgumentException($"adapter '{inputs[i].Adapter.Name}': weight {inputs[i].Weight} is not finite");
            if (inputs[i].Density is < 0) throw new ArgumentException($"adapter '{inputs[i].Adapter.Name}': density {inputs[i].Density} must be ≥ 0");
        }
        var paths = new SortedSet<string>(inputs.SelectMany(x => x.Adapter.Modules.Keys), StringComparer.Ordinal);
        var result = new List<ModuleContributions>(paths.Count);
        foreach (var path in paths)
        {
            var items = new List<Contribution>();
            int outF = -1, inF = -1;
            string? first = null;
            for (int i = 0; i < inputs.Count; i++)
            {
                if (!inputs[i].Adapter.Modules.TryGetValue(path, out var m)) continue;
                if (first is null)
                {
                    (outF, inF, first) = (m.OutFeatures, m.InFeatures, inputs[i].Adapter.Name);
                }
                else if (m.OutFeatures != outF || m.InFeatures != inF)
                {
                    throw new ArgumentException($"module {path}: adapter '{inputs[i].Adapter.Name}' has ΔW [{m.OutFeatures}, {m.InFeatures}] but '{first}' has [{outF}, {inF}]");
                }
                items.Add(new Contribution(i, inputs[i].Weight, m.Scaling, m.A.ToArray(), m.B.ToArray(), m.Rank, inputs[i].Density ?? defaultDensity));
            }
            result.Add(new ModuleContributions(path, outF, inF, items));
        }
        return result;
    }
}

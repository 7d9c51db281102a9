// Random LoRA adapters (init "false": A and B both random) and naive dense references for the merging tests.
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests;

internal readonly record struct ModuleSpec(string Path, int Out, int In, int Rank);

internal static class MergingFixtures
{
    public static readonly ModuleSpec[] Small =
    [
        new("transformer.h.0.attn.c_attn", 12, 5, 3),
        new("transformer.h.0.attn.c_proj", 5, 5, 3),
        new("transformer.h.0.mlp.c_fc", 7, 5, 3),
    ];

    /// <summary>An adapter whose factors are all random (PEFT init_lora_weights=false style).</summary>
    public static LoraAdapter Random(string name, ulong seed, IEnumerable<ModuleSpec> specs, float alpha = 16, bool rsLora = false, int? rankOverride = null)
    {
        var rng = new Rng(seed);
        var list = specs.Select(s => rankOverride is { } r ? s with { Rank = r } : s).ToArray();
        var modules = new List<LoraModule>();
        int common = list[0].Rank;
        var config = new LoraConfig
        {
            Rank = common,
            Alpha = alpha,
            UseRsLora = rsLora,
            TargetModules = TargetModules.List(list.Select(s => s.Path.Split('.')[^1])),
            RankPattern = list.Where(s => s.Rank != common).Select(s => KeyValuePair.Create(System.Text.RegularExpressions.Regex.Escape(s.Path), s.Rank)).ToArray(),
            Init = LoraInit.Random,
        };
        foreach (var s in list)
        {
            var a = Tensor.Randn(new Shape(s.Rank, s.In), rng, 1f / MathF.Sqrt(s.In)); // [r, in]
            var b = Tensor.Randn(new Shape(s.Out, s.Rank), rng, 0.5f);                 // [out, r]
            modules.Add(new LoraModule(s.Path, a, b, config.ScalingFor(s.Path)));
        }
        return new LoraAdapter(name, config, modules);
    }

    /// <summary>An adapter with given factors (row-major) and scaling s = alpha/r.</summary>
    public static LoraAdapter FromFactors(string name, string path, float[] a, int r, int inF, float[] b, int outF, float alpha)
    {
        var config = new LoraConfig { Rank = r, Alpha = alpha, TargetModules = TargetModules.List([path.Split('.')[^1]]) };
        var m = new LoraModule(path, Tensor.FromArray(a, new Shape(r, inF)), Tensor.FromArray(b, new Shape(outF, r)), config.ScalingFor(path));
        return new LoraAdapter(name, config, [m]);
    }

    /// <summary>s·B·A [out, in] in f64 by the textbook triple loop.</summary>
    public static double[] Dense(LoraModule m)
    {
        var a = m.A.ToArray();
        var b = m.B.ToArray();
        int r = m.Rank, inF = m.InFeatures, outF = m.OutFeatures;
        var y = new double[outF * inF];
        for (int o = 0; o < outF; o++)
        {
            for (int i = 0; i < inF; i++)
            {
                double s = 0;
                for (int j = 0; j < r; j++) s += (double)b[(o * r) + j] * a[(j * inF) + i];
                y[(o * inF) + i] = s * m.Scaling;
            }
        }
        return y;
    }

    /// <summary>Σ w_i ΔW_i of <paramref name="path"/> over the adapters that have it.</summary>
    public static double[] Target(string path, params (LoraAdapter Adapter, double Weight)[] items)
    {
        double[]? t = null;
        foreach (var (ad, w) in items)
        {
            if (!ad.Modules.TryGetValue(path, out var m)) continue;
            var d = Dense(m);
            t ??= new double[d.Length];
            for (int i = 0; i < d.Length; i++) t[i] += w * d[i];
        }
        return t ?? throw new InvalidOperationException($"no adapter has {path}");
    }

    /// <summary>‖x − y‖ / ‖y‖.</summary>
    public static double RelErr(ReadOnlySpan<float> x, ReadOnlySpan<double> y)
    {
        double e = 0, n = 0;
        for (int i = 0; i < y.Length; i++)
        {
            e += (x[i] - y[i]) * (x[i] - y[i]);
            n += y[i] * y[i];
        }
        return Math.Sqrt(e / n);
    }

    /// <summary>‖x − y‖ / ‖y‖.</summary>
    public static double RelErr(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double e = 0, n = 0;
        for (int i = 0; i < y.Length; i++)
        {
            e += (x[i] - y[i]) * (x[i] - y[i]);
            n += y[i] * y[i];
        }
        return Math.Sqrt(e / n);
    }

    /// <summary>The merged ΔW of a module as f32.</summary>
    public static float[] DeltaOf(Merging.MergeResult r, string path)
    {
        using var t = r.DeltaOf(path);
        return t.ToArray();
    }
}

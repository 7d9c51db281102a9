// `expertmix bench svf`: SVD time per matrix shape, and composing W'(z) for every targeted matrix of a preset.
using System.CommandLine;
using System.Diagnostics;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands;

/// <summary>The `bench svf` verb.</summary>
internal static class BenchSvfCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape with random weights: {string.Join(", ", ModelPresets.All.Keys)}.", DefaultValueFactory = _ => "gpt2-small" };
        var svd = new Option<bool>("--svd") { Description = "Also time one full SVD per distinct target shape (seconds each)." };
        var reps = new Option<int>("--reps") { Description = "Recompositions timed (median reported).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("svf", "Compose W'(z) = c·U diag(σ ⊙ z) Vᵀ for every SVF target of a preset (first time and after p changes), and optionally time the SVD per shape.");
        foreach (var o in new Option[] { preset, svd, reps, threads, json }) cmd.Add(o);
        cmd.SetAction(pr => Run(pr.GetValue(preset)!, pr.GetValue(svd), pr.GetValue(reps), pr.GetValue(threads), pr.GetValue(json)));
        return cmd;
    }

    private static int Run(string presetName, bool timeSvd, int reps, int? threads, bool json)
    {
        if (!ModelPresets.All.TryGetValue(presetName, out var preset)) throw new UserErrorException($"unknown preset '{presetName}'; presets: {string.Join(", ", ModelPresets.All.Keys)}");
        if (reps < 1) throw new UserErrorException("--reps must be ≥ 1");
        if (threads is { } t) Engine.Threads = t >= 1 ? t : throw new UserErrorException($"--threads must be ≥ 1 (got {t})");
        using var model = CausalLm.BuildRandom(preset.Config, DType.F32, seed: 0);
        var targets = SvfTargets.Mlp.Resolve(model);
        var rng = new Rng(2);
        var result = new Dictionary<string, object?> { ["preset"] = presetName, ["threads"] = Engine.Threads, ["matrices"] = targets.Count };
        if (timeSvd)
        {
            var times = new Dictionary<string, double>();
            foreach (var (m, n) in targets.Select(s => (s.Module.OutFeatures, s.Module.InFeatures)).Distinct())
            {
                var w = Random(m * n, rng, 0.02f);
                var sw = Stopwatch.StartNew();
                FullSvd.Decompose(w, m, n);
                times[$"{m}x{n}"] = Math.Round(sw.Elapsed.TotalSeconds, 3);
            }
            result["svd_s"] = times;
        }
        // Composition cost does not depend on the factors' values: random full-size factors stand in for the SVD.
        var matrices = targets.Select(slot =>
        {
            int m = slot.Module.OutFeatures, n = slot.Module.InFeatures, r = Math.Min(m, n);
            var u = TensorScope.Forget(Tensor.FromArray(Random(m * r, rng, 0.03f), new Shape(m, r)));                       // [m, r]
            var s = TensorScope.Forget(Tensor.FromArray([.. Enumerable.Range(0, r).Select(i => 1f / (i + 1))], new Shape(r))); // [r]
            var v = TensorScope.Forget(Tensor.FromArray(Random(n * r, rng, 0.03f), new Shape(n, r)));                       // [n, r]
            return new SvfMatrixBasis(slot.ModulePath + ".weight", u, s, v, "");
        }).ToList();
        using var basis = SvfBasis.FromMatrices(matrices, presetName, SvfTargets.Mlp);
        using var host = new SvfHost(model, basis);
        using var expert = SvfExpert.CreateInitial("bench", basis, new Rng(1));
        host.Apply(expert);
        double first = ComposeAll(host);
        var again = new List<double>();
        for (int i = 0; i < reps; i++)
        {
            foreach (var (_, p) in expert.Parameters) p.Span[0] += 0.01f;   // an optimiser step: p changes in place
            again.Add(ComposeAll(host));
        }
        long flops = targets.Sum(s => 2L * s.Module.OutFeatures * s.Module.InFeatures * Math.Min(s.Module.OutFeatures, s.Module.InFeatures));
        double recompose = again.Order().ElementAt(again.Count / 2);
        result["compose_first_s"] = Math.Round(first, 3);
        result["recompose_s"] = Math.Round(recompose, 3);
        result["recompose_gflops"] = Math.Round(flops / recompose / 1e9, 1);
        return BenchSupport.Write(result, json ? BenchOutput.Json : BenchOutput.Table);
    }

    private static double ComposeAll(SvfHost host)
    {
        var sw = Stopwatch.StartNew();
        foreach (var l in host.Linears)
        {
            using var w = l.EffectiveWeight();   // composes W' when p changed
        }
        return sw.Elapsed.TotalSeconds;
    }

    private static float[] Random(int count, Rng rng, float std)
    {
        var a = new float[count];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextNormal() * std;
        return a;
    }
}

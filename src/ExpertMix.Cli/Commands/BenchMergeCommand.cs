// `expertmix bench merge`: time of every merge method, of the orthogonality matrix and of folding adapters into the base.
using System.CommandLine;
using System.Diagnostics;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Models;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands;

/// <summary>The `bench merge` verb.</summary>
internal static class BenchMergeCommand
{
    private sealed record Args(string Preset, int Adapters, int Rank, string Targets, string Methods, int Reps, int? Threads, bool IntoBase, bool Json);

    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", ModelPresets.All.Keys)}.", DefaultValueFactory = _ => "gpt2-small" };
        var adapters = new Option<int>("--adapters") { Description = "Random adapters merged.", DefaultValueFactory = _ => 3 };
        var rank = new Option<int>("--rank") { Description = "Their rank.", DefaultValueFactory = _ => 8 };
        var targets = new Option<string>("--targets") { Description = "Target modules (suffix list, re:REGEX or all-linear).", DefaultValueFactory = _ => "c_attn,c_proj,c_fc" };
        var methods = new Option<string>("--methods") { Description = "Comma-separated merge methods to time.", DefaultValueFactory = _ => "delta-sum,cat,factor-sum,peft-linear,peft-ties,ties,dare-ties,della" };
        var reps = new Option<int>("--reps") { Description = "Repetitions per measurement (median reported).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)." };
        var intoBase = new Option<bool>("--into-base") { Description = "Also time folding the adapters into random f32 base weights (builds the model: needs its memory).", DefaultValueFactory = _ => true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("merge", "Seconds per merge method, for the orthogonality matrix, and for merging adapters into a model of a preset's shape.");
        foreach (var o in new Option[] { preset, adapters, rank, targets, methods, reps, threads, intoBase, json }) cmd.Add(o);
        cmd.SetAction(pr => Run(new Args(pr.GetValue(preset)!, pr.GetValue(adapters), pr.GetValue(rank), pr.GetValue(targets)!, pr.GetValue(methods)!,
            pr.GetValue(reps), pr.GetValue(threads), pr.GetValue(intoBase), pr.GetValue(json))));
        return cmd;
    }

    private static int Run(Args a)
    {
        if (!ModelPresets.All.TryGetValue(a.Preset, out var preset)) throw new UserErrorException($"unknown preset '{a.Preset}'; presets: {string.Join(", ", ModelPresets.All.Keys)}");
        if (a.Adapters < 1 || a.Rank < 1 || a.Reps < 1) throw new UserErrorException("--adapters, --rank and --reps must be ≥ 1");
        if (a.Threads is { } t) Engine.Threads = t >= 1 ? t : throw new UserErrorException($"--threads must be ≥ 1 (got {t})");
        var methods = a.Methods.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(MergeMethodInfo.Parse).ToList();
        var result = new Dictionary<string, object?> { ["preset"] = a.Preset, ["adapters"] = a.Adapters, ["rank"] = a.Rank, ["targets"] = a.Targets, ["threads"] = Engine.Threads };
        var (meta, _) = CausalLm.BuildMeta(preset.Config, DType.F32);
        using var model = meta;
        using var host = new LoraHost(model);
        var rng = new Rng(11);
        var config = new LoraConfig { Rank = a.Rank, Alpha = 2 * a.Rank, TargetModules = TargetModules.Parse(a.Targets), Init = LoraInit.Random };
        var inputs = Enumerable.Range(0, a.Adapters).Select(i => new MergeInput(host.CreateAdapter($"a{i}", config, rng), 1f)).ToList();
        result["modules"] = inputs[0].Adapter.Modules.Count;
        LoraMerger.Merge(inputs, MergeMethod.Cat).Dispose(); // JIT warm-up
        var seconds = new Dictionary<string, double>();
        var errors = new Dictionary<string, double>();
        foreach (var m in methods)
        {
            seconds[MergeMethodInfo.NameOf(m)] = Median(a.Reps, () =>
            {
                using var r = LoraMerger.Merge(inputs, m);
                errors[MergeMethodInfo.NameOf(m)] = r.CompositionError.Aggregate;
            });
        }
        result["merge_s"] = seconds.ToDictionary(p => p.Key, p => Math.Round(p.Value, 3));
        result["composition_error"] = errors;
        result["orthogonality_s"] = Math.Round(Median(a.Reps, () => Orthogonality.Pairwise(inputs)), 3);
        if (a.IntoBase)
        {
            using var full = CausalLm.BuildRandom(preset.Config, DType.F32, seed: 0);
            using var fullHost = new LoraHost(full);
            foreach (var input in inputs)
            {
                var copy = new LoraAdapter(input.Adapter.Name, input.Adapter.Config,
                    input.Adapter.Modules.Values.Select(m => new LoraModule(m.ModulePath, m.A.Clone(), m.B.Clone(), m.Scaling)));
                fullHost.Add(copy, 1f);
            }
            result["merge_into_base_s"] = Math.Round(Median(a.Reps, () =>
            {
                fullHost.Merge();
                fullHost.Unmerge();
            }), 3);
        }
        return BenchSupport.Write(result, a.Json ? BenchOutput.Json : BenchOutput.Table);
    }

    private static double Median(int reps, Action run)
    {
        var t = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            t[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(t);
        return t[reps / 2];
    }
}

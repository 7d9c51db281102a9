// `expertmix bench xlora`: X-LoRA prefill and decode (dual cache, and the no-cache baseline) against the base model.
using System.CommandLine;
using System.Diagnostics;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands;

/// <summary>The `bench xlora` verb.</summary>
internal static class BenchXLoraCommand
{
    private sealed record Args(string? ModelDir, string? XLoraDir, string Preset, int Experts, int Rank, string Targets, bool Layerwise, int? TopK, int Prefill, int Prompt, int Decode,
        int UncachedDecode, int Reps, int? Threads, double ForeignLimit, bool Json);

    public static Command Create()
    {
        var modelDir = new Option<string?>("--model", "-m") { Description = "A model directory (with --xlora) instead of a preset with random experts." };
        var xloraDir = new Option<string?>("--xlora") { Description = "An X-LoRA checkpoint to benchmark on --model." };
        var preset = new Option<string>("--preset") { Description = $"Model shape with random weights: {string.Join(", ", ModelPresets.All.Keys)}.", DefaultValueFactory = _ => "gpt2-small" };
        var experts = new Option<int>("--experts") { Description = "Random LoRA experts.", DefaultValueFactory = _ => 3 };
        var rank = new Option<int>("--rank") { Description = "Rank of every expert.", DefaultValueFactory = _ => 16 };
        var targets = new Option<string>("--targets") { Description = "Expert target modules (suffix list, re:REGEX or all-linear = every attention and MLP projection).", DefaultValueFactory = _ => "all-linear" };
        var layerwise = new Option<bool>("--layerwise") { Description = "A layerwise gate (one scaling per module and expert)." };
        var topK = new Option<int?>("--top-k") { Description = "top_k_lora (experts computed per token and module)." };
        var prefill = new Option<int>("--prefill") { Description = "Prefill length (one sequence, last-position logits).", DefaultValueFactory = _ => 512 };
        var prompt = new Option<int>("--prompt") { Description = "Prompt length before the timed decode.", DefaultValueFactory = _ => 128 };
        var decode = new Option<int>("--decode") { Description = "Decode tokens timed (base and cached X-LoRA).", DefaultValueFactory = _ => 128 };
        var uncached = new Option<int>("--uncached-decode") { Description = "Decode tokens timed without a cache (every step re-runs both passes over the sequence; 0 = skip).", DefaultValueFactory = _ => 16 };
        var reps = new Option<int>("--reps") { Description = "Repetitions (median reported).", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)." };
        var foreign = new Option<double>("--foreign-limit") { Description = "Discard repetitions during which other processes used more than this many cores.", DefaultValueFactory = _ => 0.25 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("xlora", "X-LoRA prefill and decode tokens/s with random experts and gate vs the base model; the no-cache (reference) decode in the same run.");
        foreach (var o in new Option[] { modelDir, xloraDir, preset, experts, rank, targets, layerwise, topK, prefill, prompt, decode, uncached, reps, threads, foreign, json }) cmd.Add(o);
        cmd.SetAction(pr => Run(new Args(pr.GetValue(modelDir), pr.GetValue(xloraDir), pr.GetValue(preset)!, pr.GetValue(experts), pr.GetValue(rank), pr.GetValue(targets)!, pr.GetValue(layerwise), pr.GetValue(topK),
            pr.GetValue(prefill), pr.GetValue(prompt), pr.GetValue(decode), pr.GetValue(uncached), pr.GetValue(reps), pr.GetValue(threads), pr.GetValue(foreign), pr.GetValue(json))));
        return cmd;
    }

    private static int Run(Args a)
    {
        if (!ModelPresets.All.TryGetValue(a.Preset, out var preset)) throw new UserErrorException($"unknown preset '{a.Preset}'; presets: {string.Join(", ", ModelPresets.All.Keys)}");
        if (a.Experts < 1 || a.Rank < 1 || a.Prefill < 1 || a.Prompt < 1 || a.Decode < 1 || a.UncachedDecode < 0 || a.Reps < 1)
        {
            throw new UserErrorException("--experts, --rank, --prefill, --prompt, --decode and --reps must be ≥ 1, --uncached-decode ≥ 0");
        }
        if (a.Threads is { } t) Engine.Threads = t >= 1 ? t : throw new UserErrorException($"--threads must be ≥ 1 (got {t})");
        if ((a.ModelDir is null) != (a.XLoraDir is null)) throw new UserErrorException("bench xlora takes --model DIR and --xlora DIR together (or neither, for --preset with random experts)");
        var rng = new Rng(11);
        using var xl = a.ModelDir is null ? RandomXLora(preset, a, rng) : (XLoraModel)new ModelArgs(a.ModelDir, DTypePolicy.Keep, a.Threads) { XLora = a.XLoraDir }.LoadModel();
        var model = xl.Base;
        int vocab = model.Info.VocabSize;
        int[] prefillIds = [.. Enumerable.Range(0, a.Prefill).Select(_ => rng.NextInt(vocab))];
        int[] promptIds = [.. Enumerable.Range(0, a.Prompt).Select(_ => rng.NextInt(vocab))];
        int maxLength = Math.Max(a.Prefill, a.Prompt + a.Decode);
        using var noGrad = Autograd.NoGrad();
        using var baseCache = xl.Base.CreateCache(1, maxLength);
        using var dualCache = xl.CreateCache(1, maxLength);
        var gate = new ContentionGate(a.ForeignLimit);
        double PrefillMs(ICausalLm m, KvCache cache)
        {
            cache.Reset();
            var sw = Stopwatch.StartNew();
            BenchSupport.NextToken(m, prefillIds, new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition });
            return sw.Elapsed.TotalMilliseconds;
        }
        PrefillMs(xl.Base, baseCache);   // warm-up (JIT, packing, pools)
        PrefillMs(xl, dualCache);
        BenchSupport.DecodeMs(xl.Base, baseCache, promptIds, 4);
        BenchSupport.DecodeMs(xl, dualCache, promptIds, 4);
        var times = new Dictionary<string, List<double>> { ["bp"] = [], ["xp"] = [], ["bd"] = [], ["xd"] = [] };
        for (int rep = 0; rep < a.Reps; rep++) // interleaved, so drift hits base and X-LoRA alike
        {
            times["bp"].Add(gate.Median(1, () => PrefillMs(xl.Base, baseCache)));
            times["xp"].Add(gate.Median(1, () => PrefillMs(xl, dualCache)));
            times["bd"].Add(gate.Median(1, () => BenchSupport.DecodeMs(xl.Base, baseCache, promptIds, a.Decode)));
            times["xd"].Add(gate.Median(1, () => BenchSupport.DecodeMs(xl, dualCache, promptIds, a.Decode)));
        }
        double Median(string k) => times[k].Order().ElementAt(times[k].Count / 2);
        double bp = a.Prefill / (Median("bp") / 1000), xp = a.Prefill / (Median("xp") / 1000);
        double bd = a.Decode / (Median("bd") / 1000), xd = a.Decode / (Median("xd") / 1000);
        var result = new Dictionary<string, object?>
        {
            ["model"] = a.ModelDir is null ? a.Preset : Path.GetFullPath(a.ModelDir),
            ["xlora"] = a.XLoraDir is null ? null : Path.GetFullPath(a.XLoraDir),
            ["threads"] = Engine.Threads,
            ["experts"] = xl.Config.ExpertCount,
            ["rank"] = a.ModelDir is null ? a.Rank : null,
            ["targets"] = a.ModelDir is null ? a.Targets : null,
            ["adapted_modules"] = xl.Layers.Count,
            ["expert_parameters"] = xl.Host.Adapters.Sum(e => e.Adapter.ParameterCount),
            ["gate_parameters"] = xl.Classifier.ParameterCount,
            ["layerwise"] = xl.Config.LayerwiseScalings,
            ["top_k"] = xl.Config.TopKLora,
            ["prefill_tokens"] = a.Prefill,
            ["base_prefill_tok_s"] = Math.Round(bp, 1),
            ["xlora_prefill_tok_s"] = Math.Round(xp, 1),
            ["prefill_ratio"] = Math.Round(xp / bp, 3),
            ["decode_prompt"] = a.Prompt,
            ["decode_tokens"] = a.Decode,
            ["base_decode_tok_s"] = Math.Round(bd, 2),
            ["xlora_decode_tok_s"] = Math.Round(xd, 2),
            ["decode_ratio"] = Math.Round(xd / bd, 3),
        };
        if (a.UncachedDecode > 0)
        {
            xl.Options = new XLoraRuntimeOptions { Cache = XLoraCacheMode.None };
            using var cache = xl.CreateCache(1, a.Prompt + a.UncachedDecode);
            double ms = gate.Median(1, () => BenchSupport.DecodeMs(xl, cache, promptIds, a.UncachedDecode));
            double ud = a.UncachedDecode / (ms / 1000);
            result["uncached_decode_tokens"] = a.UncachedDecode;
            result["xlora_uncached_decode_tok_s"] = Math.Round(ud, 2);
            result["dual_cache_speedup"] = Math.Round(xd / ud, 2);
        }
        result["reps"] = a.Reps;
        result["discarded_reps"] = gate.Discarded;
        result["contaminated_reps"] = gate.Contaminated;
        return BenchSupport.Write(result, a.Json ? BenchOutput.Json : BenchOutput.Table);
    }

    private static XLoraModel RandomXLora(ModelPreset preset, Args a, Rng rng)
    {
        var model = CausalLm.BuildRandom(preset.Config, DType.F32, seed: 0);
        var experts = RandomExperts(model, a.Experts, a.Rank, TargetModules.Parse(a.Targets), rng);
        var config = new XLoraConfig
        {
            HiddenSize = model.Info.HiddenSize,
            Adapters = [.. experts.Select(e => new KeyValuePair<string, string>(e.Name, e.Name))],
            LayerwiseScalings = a.Layerwise,
            TopKLora = a.TopK,
        };
        return new XLoraModel(model, config, experts, null, null, XLoraGateInit.Default, seed: 5);
    }

    /// <summary><paramref name="count"/> random rank-<paramref name="rank"/> experts (A and B nonzero) on the targeted projections.</summary>
    internal static List<LoraAdapter> RandomExperts(ICausalLm model, int count, int rank, TargetModules targets, Rng rng)
    {
        using var host = new LoraHost(model);
        var experts = new List<LoraAdapter>();
        for (int i = 0; i < count; i++)
        {
            string name = $"expert{i}";
            var adapter = host.CreateAdapter(name, new LoraConfig { Rank = rank, Alpha = 2 * rank, TargetModules = targets, Init = LoraInit.Random }, rng);
            foreach (var (_, p) in adapter.NamedFactors()) p.RequiresGrad = false;
            experts.Add(host.Remove(name));
        }
        return experts;
    }
}

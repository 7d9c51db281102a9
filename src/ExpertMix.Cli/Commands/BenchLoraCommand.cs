// `expertmix bench lora`: LoRA training steps/s (the PyTorch reference workload) and the decode cost of runtime adapters.
using System.CommandLine;
using System.Diagnostics;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Cli.Commands;

/// <summary>The `bench lora` verb.</summary>
internal static class BenchLoraCommand
{
    private sealed record Args(string Preset, int Batch, int Seq, int Rank, string Targets, int Steps, int Decode, int DecodeRank, int? Threads, double ForeignLimit, bool Json);

    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape with random weights: {string.Join(", ", ModelPresets.All.Keys)}.", DefaultValueFactory = _ => "gpt2-small" };
        var batch = new Option<int>("--batch") { Description = "Sequences per training step.", DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 128 };
        var rank = new Option<int>("--rank") { Description = "LoRA rank of the trained adapter.", DefaultValueFactory = _ => 8 };
        var targets = new Option<string>("--targets") { Description = "Target modules (suffix list, re:REGEX or all-linear).", DefaultValueFactory = _ => "c_attn" };
        var steps = new Option<int>("--steps") { Description = "Timed training steps (after one warm-up step); the median is reported.", DefaultValueFactory = _ => 5 };
        var decode = new Option<int>("--decode") { Description = "Decode tokens timed with and without a runtime adapter (0 = skip).", DefaultValueFactory = _ => 64 };
        var decodeRank = new Option<int>("--decode-rank") { Description = "Rank of the runtime adapter in the decode comparison.", DefaultValueFactory = _ => 16 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all cores)." };
        var foreign = new Option<double>("--foreign-limit") { Description = "Discard repetitions during which other processes used more than this many cores.", DefaultValueFactory = _ => 0.25 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var cmd = new Command("lora", "LoRA training tokens/s (AdamW steps on a frozen base) and the decode cost of one unmerged runtime adapter.");
        foreach (var o in new Option[] { preset, batch, seq, rank, targets, steps, decode, decodeRank, threads, foreign, json }) cmd.Add(o);
        cmd.SetAction(pr => Run(new Args(pr.GetValue(preset)!, pr.GetValue(batch), pr.GetValue(seq), pr.GetValue(rank), pr.GetValue(targets)!, pr.GetValue(steps),
            pr.GetValue(decode), pr.GetValue(decodeRank), pr.GetValue(threads), pr.GetValue(foreign), pr.GetValue(json))));
        return cmd;
    }

    private static int Run(Args a)
    {
        if (!ModelPresets.All.TryGetValue(a.Preset, out var preset)) throw new UserErrorException($"unknown preset '{a.Preset}'; presets: {string.Join(", ", ModelPresets.All.Keys)}");
        if (a.Batch < 1 || a.Seq < 2 || a.Rank < 1 || a.Steps < 1 || a.Decode < 0 || a.DecodeRank < 1) throw new UserErrorException("--batch, --rank, --steps, --decode-rank must be ≥ 1, --seq ≥ 2, --decode ≥ 0");
        if (a.Threads is { } t) Engine.Threads = t >= 1 ? t : throw new UserErrorException($"--threads must be ≥ 1 (got {t})");
        using var model = CausalLm.BuildRandom(preset.Config, DType.F32, seed: 0);
        var rng = new Rng(7);
        var result = new Dictionary<string, object?> { ["preset"] = a.Preset, ["threads"] = Engine.Threads };
        var gate = new ContentionGate(a.ForeignLimit);
        using (var host = new LoraHost(model))
        {
            var adapter = host.CreateAdapter("bench", new LoraConfig { Rank = a.Rank, Alpha = 2 * a.Rank, TargetModules = TargetModules.Parse(a.Targets) }, rng);
            var trainable = new LoraTrainable(host, adapter);
            var opt = new AdamW(trainable.TrainableParameters.Select(p => p.Param), new AdamWOptions(LearningRate: 1e-4, WeightDecay: 0));
            int[] ids = Enumerable.Range(0, a.Batch * a.Seq).Select(_ => rng.NextInt(model.Info.VocabSize)).ToArray();
            using var batch = new TrainingBatch(Tensor.FromInts(ids, new Shape(a.Batch, a.Seq)), Tensor.FromInts(ids, new Shape(a.Batch, a.Seq)), Tensor.Ones(new Shape(a.Batch, a.Seq)));
            double first = double.NaN, last = double.NaN;
            double Step()
            {
                var sw = Stopwatch.StartNew();
                using (var scope = TensorScope.Begin())
                {
                    var loss = trainable.Loss(batch, ForwardMode.Train);
                    last = loss.Item();
                    loss.Backward();
                }
                opt.Step();
                opt.ZeroGrad();
                return sw.Elapsed.TotalMilliseconds;
            }
            Step();
            first = last;
            double stepMs = gate.Median(a.Steps, Step);
            result["train_batch"] = a.Batch;
            result["train_seq"] = a.Seq;
            result["train_rank"] = a.Rank;
            result["train_targets"] = a.Targets;
            result["trainable_parameters"] = adapter.ParameterCount;
            result["train_step_ms"] = Math.Round(stepMs, 1);
            result["train_tok_s"] = Math.Round(a.Batch * a.Seq / (stepMs / 1000), 1);   // tokens processed per step (as torch_ref.py counts)
            result["loss_first"] = first;
            result["loss_last"] = last;
        }
        if (a.Decode > 0)
        {
            int[] prompt = Enumerable.Range(0, 32).Select(_ => rng.NextInt(model.Info.VocabSize)).ToArray();
            double baseMs = 0, loraMs = 0;
            using var host = new LoraHost(model);
            var adapter = host.CreateAdapter("rt", new LoraConfig { Rank = a.DecodeRank, Alpha = a.DecodeRank, TargetModules = TargetModules.Parse(a.Targets), Init = LoraInit.Random }, rng);
            foreach (var (_, p) in adapter.NamedFactors()) p.RequiresGrad = false;
            using var noGrad = Autograd.NoGrad();
            double DecodeMs(int steps)
            {
                using var cache = model.CreateCache(1, prompt.Length + steps);   // a fresh cache per run
                return BenchSupport.DecodeMs(model, cache, prompt, steps);
            }
            DecodeMs(8); // warm-up
            var b = new List<double>();
            var l = new List<double>();
            for (int rep = 0; rep < 3; rep++) // interleaved so drift hits both alike
            {
                host.SetWeight("rt", 0f);
                b.Add(gate.Median(1, () => DecodeMs(a.Decode)));
                host.SetWeight("rt", 1f);
                l.Add(gate.Median(1, () => DecodeMs(a.Decode)));
            }
            baseMs = b.Order().ElementAt(1);
            loraMs = l.Order().ElementAt(1);
            result["decode_tokens"] = a.Decode;
            result["decode_rank"] = a.DecodeRank;
            result["decode_base_tok_s"] = Math.Round(a.Decode / (baseMs / 1000), 2);
            result["decode_lora_tok_s"] = Math.Round(a.Decode / (loraMs / 1000), 2);
            result["decode_lora_cost"] = Math.Round(loraMs / baseMs - 1, 4);
        }
        result["discarded_reps"] = gate.Discarded;
        result["contaminated_reps"] = gate.Contaminated;
        return BenchSupport.Write(result, a.Json ? BenchOutput.Json : BenchOutput.Table);
    }
}

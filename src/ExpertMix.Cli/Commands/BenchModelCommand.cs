// `expertmix bench model`: prefill and KV-cached decode speed of a model directory or a preset shape, peak memory.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands;

/// <summary>The `bench model` verb (the workloads of shared/bench/torch_ref.py: prefill 1×512 with last-position logits, decode 128 after 128).</summary>
internal static class BenchModelCommand
{
    /// <summary>Typed options of one `bench model` call.</summary>
    private sealed record Args(string? ModelDir, string? Preset, string DType, string KvDType, int Prefill, int Chunk, int Prompt, int Decode, int Reps, int? Threads, double ForeignLimit, bool Json);

    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "A Hugging Face model directory." };
        var preset = new Option<string?>("--preset") { Description = $"A preset shape with random weights: {string.Join(", ", ModelPresets.All.Keys)}." };
        var dtype = new Option<string>("--dtype") { Description = "Weight storage: f32, bf16, or keep (the checkpoint's dtype; presets: f32).", DefaultValueFactory = _ => "keep" };
        dtype.AcceptOnlyFromAmong("keep", "f32", "bf16");
        var kvDtype = new Option<string>("--kv-dtype") { Description = "KV cache storage: f32 (exact) or bf16 (half the cache memory and attention reads).", DefaultValueFactory = _ => "f32" };
        kvDtype.AcceptOnlyFromAmong("f32", "bf16");
        var prefill = new Option<int>("--prefill") { Description = "Prefill length (one sequence, last-position logits).", DefaultValueFactory = _ => 512 };
        var chunk = new Option<int>("--prefill-chunk") { Description = "Prefill in chunks of this many tokens through the KV cache (0 = one forward).", DefaultValueFactory = _ => ChunkedPrefill.DefaultChunk };
        var prompt = new Option<int>("--prompt") { Description = "Prompt length before decoding.", DefaultValueFactory = _ => 128 };
        var decode = new Option<int>("--decode") { Description = "Tokens to decode (greedy, KV cache, batch 1).", DefaultValueFactory = _ => 128 };
        var reps = new Option<int>("--reps") { Description = "Timed repetitions of each workload (median reported).", DefaultValueFactory = _ => 5 };
        var threads = new Option<int?>("--threads", "-t") { Description = "Worker threads (default: all cores)." };
        var foreign = new Option<double>("--foreign-limit") { Description = "Discard repetitions during which other processes used more than this many cores.", DefaultValueFactory = _ => 0.10 };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON object." };
        var cmd = new Command("model", "Prefill and decode tokens/s, weight bandwidth vs STREAM triad, and peak memory of a model.");
        foreach (var o in new Option[] { model, preset, dtype, kvDtype, prefill, chunk, prompt, decode, reps, threads, foreign, json }) cmd.Add(o);
        cmd.SetAction(pr => Run(new Args(pr.GetValue(model), pr.GetValue(preset), pr.GetValue(dtype)!, pr.GetValue(kvDtype)!, pr.GetValue(prefill), pr.GetValue(chunk), pr.GetValue(prompt),
            pr.GetValue(decode), pr.GetValue(reps), pr.GetValue(threads), pr.GetValue(foreign), pr.GetValue(json))));
        return cmd;
    }

    private static int Run(Args a)
    {
        if ((a.ModelDir is null) == (a.Preset is null)) throw new UserErrorException("bench model needs exactly one of --model DIR or --preset NAME");
        if (a.Prefill < 1 || a.Prompt < 1 || a.Decode < 1 || a.Reps < 1 || a.Chunk < 0) throw new UserErrorException("--prefill, --prompt, --decode and --reps must be ≥ 1 and --prefill-chunk ≥ 0");
        if (a.Threads is { } t) Engine.Threads = t >= 1 ? t : throw new UserErrorException($"--threads must be ≥ 1 (got {t})");
        var clock = Stopwatch.StartNew();
        using var model = Load(a);
        double loadSeconds = clock.Elapsed.TotalSeconds;
        // Drop load-time temporaries (pooled buffers, garbage) so RSS after load reflects the model.
        BufferPool.Shared.Trim();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var info = model.Info;
        if (Math.Max(a.Prefill, a.Prompt + a.Decode) > info.MaxPositions)
        {
            throw new UserErrorException($"--prefill {a.Prefill} / --prompt {a.Prompt} + --decode {a.Decode} exceed the model's {info.MaxPositions} positions");
        }
        long weightBytes = model.NamedParameters().Sum(p => p.Param.Numel * p.Param.DType.SizeOf());
        long streamedBytes = StreamedBytesPerToken(model);
        long rssAfterLoad = Memory.ResetPeak();

        var rng = new Rng(1234);
        int[] prefillIds = RandomIds(rng, a.Prefill, info.VocabSize);
        int[] promptIds = RandomIds(rng, a.Prompt, info.VocabSize);
        using var noGrad = Autograd.NoGrad();
        // One cache serves every run (reset in between): the memory figure counts the largest cache the benchmark holds.
        using var cache = model.CreateCache(1, Math.Max(a.Prefill, a.Prompt + a.Decode), a.KvDType == "bf16" ? DType.BF16 : DType.F32);
        long kvBytes = cache.Bytes;
        BufferPool.Shared.ResetPeakRented();
        long rentedBeforePrefill = BufferPool.Shared.RentedBytes;
        Prefill(model, cache, prefillIds, a.Chunk); // warm-up (JIT, packing, pools)
        var gate = new ContentionGate(a.ForeignLimit);
        double prefillMs = gate.Median(a.Reps, () =>
        {
            cache.Reset();
            var sw = Stopwatch.StartNew();
            Prefill(model, cache, prefillIds, a.Chunk);
            return sw.Elapsed.TotalMilliseconds;
        });
        long prefillActivationBytes = BufferPool.Shared.PeakRentedBytes - rentedBeforePrefill;
        BufferPool.Shared.Trim(); // the prefill's activation buffers: decode needs other (smaller) ones
        BenchSupport.DecodeMs(model, cache, promptIds, Math.Min(8, a.Decode)); // warm-up of the one-token path
        double decodeMs = gate.Median(a.Reps, () => BenchSupport.DecodeMs(model, cache, promptIds, a.Decode));
        long peakRss = Memory.Peak(); // read before the triad's 384 MiB of probe arrays exist
        var paired = PairedDecodeBandwidth(model, cache, promptIds, a.Decode, streamedBytes, a.Reps, gate);

        double prefillTps = a.Prefill / (prefillMs / 1000);
        double decodeTps = a.Decode / (decodeMs / 1000);
        double weightGbs = streamedBytes * decodeTps / 1e9;
        var result = new Dictionary<string, object?>
        {
            ["model"] = a.Preset ?? Path.GetFullPath(a.ModelDir!),
            ["architecture"] = info.Architecture,
            ["parameters"] = info.ParameterCount,
            ["dtype"] = string.Join("+", model.NamedParameters().Select(p => p.Param.DType).Distinct().Order().Select(d => d.SafetensorsName())),
            ["kv_dtype"] = cache.DType.SafetensorsName(),
            ["threads"] = Engine.Threads,
            ["load_s"] = Math.Round(loadSeconds, 2),
            ["prefill_tokens"] = a.Prefill,
            ["prefill_chunk"] = a.Chunk,
            ["prefill_ms"] = Math.Round(prefillMs, 2),
            ["prefill_tok_s"] = Math.Round(prefillTps, 1),
            ["decode_prompt"] = a.Prompt,
            ["decode_tokens"] = a.Decode,
            ["decode_ms"] = Math.Round(decodeMs, 2),
            ["decode_tok_s"] = Math.Round(decodeTps, 2),
            ["weight_bytes"] = weightBytes,
            ["streamed_bytes_per_token"] = streamedBytes,
            ["decode_weight_gbs"] = Math.Round(weightGbs, 2),
            ["triad_gbs"] = Math.Round(paired.TriadGbs, 2),
            ["decode_triad_ratio"] = Math.Round(paired.TriadRatio, 3),
            ["read_gbs"] = Math.Round(paired.ReadGbs, 2),
            ["decode_read_ratio"] = Math.Round(paired.ReadRatio, 3),
            ["kv_cache_bytes"] = kvBytes,
            ["prefill_activation_bytes"] = prefillActivationBytes,
            ["rss_after_load_bytes"] = rssAfterLoad,
            ["peak_rss_bytes"] = peakRss,
            ["peak_rss_over_weights_plus_kv"] = Math.Round((double)peakRss / (weightBytes + kvBytes), 3),
            ["reps"] = a.Reps,
            ["discarded_reps"] = gate.Discarded,
            ["contaminated_reps"] = gate.Contaminated,
        };
        return BenchSupport.Write(result, a.Json ? BenchOutput.Json : BenchOutput.Table);
    }

    private static ICausalLm Load(Args a)
    {
        if (a.Preset is { } name)
        {
            if (!ModelPresets.All.TryGetValue(name, out var preset))
            {
                throw new UserErrorException($"unknown preset '{name}'; presets: {string.Join(", ", ModelPresets.All.Keys)}");
            }
            return CausalLm.BuildRandom(preset.Config, a.DType == "bf16" ? DType.BF16 : DType.F32, seed: 0);
        }
        if (!Directory.Exists(a.ModelDir)) throw new DirectoryNotFoundException($"model directory not found: {a.ModelDir}");
        var policy = a.DType == "f32" ? DTypePolicy.F32 : DTypePolicy.Keep;
        if (a.DType == "bf16") throw new UserErrorException("--dtype bf16 applies to presets; a model directory keeps its checkpoint dtype (keep) or converts to f32");
        return CausalLm.Load(a.ModelDir!, LoadOptions.Default with { DType = policy });
    }

    /// <summary>Bytes of weights one decode step reads: every parameter except input-only tables (position embeddings; an untied token embedding is gathered, not streamed).</summary>
    private static long StreamedBytesPerToken(ICausalLm model)
    {
        var ps = model.NamedParameters().ToList();
        bool separateHead = ps.Any(p => p.Path == "lm_head.weight");
        return ps.Where(p => !p.Path.EndsWith("wpe.weight", StringComparison.Ordinal) && !(separateHead && p.Path.EndsWith("embed_tokens.weight", StringComparison.Ordinal)))
            .Sum(p => p.Param.Numel * p.Param.DType.SizeOf());
    }

    private static int[] RandomIds(Rng rng, int n, int vocab)
    {
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = (int)(rng.NextDouble() * vocab) % vocab;
        return ids;
    }

    private static void Prefill(ICausalLm model, KvCache cache, int[] ids, int chunk)
    {
        using var scope = TensorScope.Begin();
        using var input = Tensor.FromInts(ids, new Shape(1, ids.Length));
        var ctx = new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition };
        using var logits = chunk > 0 ? ChunkedPrefill.Forward(model, input, ctx, chunk) : model.Forward(input, ctx);
    }

    /// <summary>
    /// The decode's weight bandwidth as a fraction of the machine's STREAM triad and of a read-only sweep (the ceiling of a
    /// kernel that only reads, which decode is), measured in pairs because this VM's bandwidth drifts by up to 2× within
    /// seconds: each (gated) round times the probes (median of 3 each), one decode of <paramref name="steps"/> tokens, and
    /// the probes again; ratio = (streamed bytes × tokens/s) ÷ the mean of the two probe figures. Returns the median probe
    /// GB/s and the median per-round ratios.
    /// </summary>
    private static (double TriadGbs, double TriadRatio, double ReadGbs, double ReadRatio) PairedDecodeBandwidth(ICausalLm model, KvCache cache, int[] prompt,
        int steps, long streamedBytes, int reps, ContentionGate gate)
    {
        var memory = new MemoryBandwidth(Engine.Threads);
        memory.Triad();
        memory.Read();
        List<double> triads = [], reads = [], readRatios = [];
        (double Triad, double Read, double ReadRatio) last = default;
        var all = new List<(double Triad, double Read, double ReadRatio)>();
        double triadRatio = gate.Median(reps, () =>
        {
            double triad = ProbeGbs(memory.Triad, MemoryBandwidth.TriadBytes), read = ProbeGbs(memory.Read, MemoryBandwidth.ReadBytes);
            double decodeGbs = streamedBytes * steps / (BenchSupport.DecodeMs(model, cache, prompt, steps) * 1e6);
            triad = 0.5 * (triad + ProbeGbs(memory.Triad, MemoryBandwidth.TriadBytes));
            read = 0.5 * (read + ProbeGbs(memory.Read, MemoryBandwidth.ReadBytes));
            last = (triad, read, decodeGbs / read);
            all.Add(last);
            return decodeGbs / triad;
        }, kept =>
        {
            if (!kept) return;
            triads.Add(last.Triad);
            reads.Add(last.Read);
            readRatios.Add(last.ReadRatio);
        });
        if (triads.Count == 0) (triads, reads, readRatios) = (all.Select(x => x.Triad).ToList(), all.Select(x => x.Read).ToList(), all.Select(x => x.ReadRatio).ToList()); // none clean: as the gate does
        return (Median(triads), triadRatio, Median(reads), Median(readRatios));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }

    /// <summary>GB/s of a memory probe: <paramref name="bytes"/> over the median of three timed runs.</summary>
    private static double ProbeGbs(Action probe, double bytes)
    {
        var times = new double[3];
        for (int i = 0; i < times.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            probe();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return bytes / (times[1] * 1e6);
    }

    /// <summary>Resident-set figures from /proc/self (Linux), else the runtime's peak working set.</summary>
    private static class Memory
    {
        /// <summary>Resets the kernel's peak-RSS mark (writes 5 to /proc/self/clear_refs) and returns the current RSS.</summary>
        public static long ResetPeak()
        {
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
            return Status("VmRSS:") ?? Environment.WorkingSet;
        }

        /// <summary>Peak RSS since the last reset (VmHWM).</summary>
        public static long Peak() => Status("VmHWM:") ?? Process.GetCurrentProcess().PeakWorkingSet64;

        private static long? Status(string key)
        {
            const string path = "/proc/self/status";
            if (!File.Exists(path)) return null;
            foreach (var line in File.ReadLines(path))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
            }
            return null;
        }
    }
}

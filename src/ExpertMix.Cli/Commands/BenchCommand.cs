// `expertmix bench …`: kernel benchmarks (packed GEMM GFLOP/s, GEMV GB/s vs a STREAM triad) as tables or --json.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ExpertMix.Models;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>The `bench` verb group.</summary>
internal static class BenchCommand
{
    /// <summary>Creates `bench` with its sub-verbs.</summary>
    public static Command Create()
    {
        var bench = new Command("bench", "Measure kernel and model speed.");
        bench.Add(CreateGemm());
        bench.Add(CreateGemv());
        bench.Add(BenchModelCommand.Create());
        bench.Add(BenchLoraCommand.Create());
        bench.Add(BenchMergeCommand.Create());
        bench.Add(BenchXLoraCommand.Create());
        bench.Add(BenchSvfCommand.Create());
        return bench;
    }

    private static Option<int?> ThreadsOption() => new("--threads", "-t") { Description = "Worker threads (default: all cores)." };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print exactly one JSON object instead of a table." };

    private static Option<int> SizeOption(string name, string description, int value) => new(name) { Description = description, DefaultValueFactory = _ => value };

    private static Command CreateGemm()
    {
        var mOpt = SizeOption("--m", "Rows of A and C (tokens).", 512);
        var nOpt = SizeOption("--n", "Rows of the weight W [N×K] = columns of C.", 768);
        var kOpt = SizeOption("--k", "Inner dimension.", 768);
        var repsOpt = SizeOption("--reps", "Timed repetitions (median reported).", 10);
        var unpackedOpt = new Option<bool>("--unpacked") { Description = "Pack the weight on every call (Gemm.Sgemm) instead of once." };
        var threadsOpt = ThreadsOption();
        var jsonOpt = JsonOption();
        var cmd = new Command("gemm", "Packed GEMM C[M×N] = A[M×K]·Wᵀ (W [N×K] packed once, like a Linear weight): median GFLOP/s.");
        cmd.Add(mOpt);
        cmd.Add(nOpt);
        cmd.Add(kOpt);
        cmd.Add(repsOpt);
        cmd.Add(unpackedOpt);
        cmd.Add(threadsOpt);
        cmd.Add(jsonOpt);
        cmd.SetAction(parseResult =>
        {
            var options = new GemmBenchOptions(parseResult.GetValue(mOpt), parseResult.GetValue(nOpt), parseResult.GetValue(kOpt),
                parseResult.GetValue(repsOpt), parseResult.GetValue(unpackedOpt), parseResult.GetValue(threadsOpt), parseResult.GetValue(jsonOpt));
            return RunGemm(options);
        });
        return cmd;
    }

    private static Command CreateGemv()
    {
        var nOpt = SizeOption("--n", "Rows of the weight W [N×K] (outputs).", 3072);
        var kOpt = SizeOption("--k", "Columns of the weight (inputs).", 768);
        var dtypeOpt = new Option<string>("--dtype") { Description = "Weight storage: f32 or bf16.", DefaultValueFactory = _ => "f32" };
        dtypeOpt.AcceptOnlyFromAmong("f32", "bf16");
        var repsOpt = SizeOption("--reps", "Timed repetitions (median reported).", 50);
        var presetOpt = new Option<string?>("--preset")
        {
            Description = "Time one decoded token's GEMVs of a preset shape instead of one N×K: every projection and the lm_head in forward order, back to back (random weights).",
        };
        presetOpt.AcceptOnlyFromAmong([.. ModelPresets.All.Keys]);
        var threadsOpt = ThreadsOption();
        var jsonOpt = JsonOption();
        var cmd = new Command("gemv", "GEMV y = W·x streaming the weight once: GB/s of weight bytes vs a STREAM triad measured in the same run.");
        cmd.Add(nOpt);
        cmd.Add(kOpt);
        cmd.Add(dtypeOpt);
        cmd.Add(presetOpt);
        cmd.Add(repsOpt);
        cmd.Add(threadsOpt);
        cmd.Add(jsonOpt);
        cmd.SetAction(parseResult =>
        {
            var options = new GemvBenchOptions(parseResult.GetValue(nOpt), parseResult.GetValue(kOpt), parseResult.GetValue(dtypeOpt) ?? "f32",
                parseResult.GetValue(repsOpt), parseResult.GetValue(threadsOpt), parseResult.GetValue(jsonOpt), parseResult.GetValue(presetOpt));
            return RunGemv(options);
        });
        return cmd;
    }

    /// <summary>Typed options of `bench gemm`.</summary>
    private sealed record GemmBenchOptions(int M, int N, int K, int Reps, bool Unpacked, int? Threads, bool Json);

    /// <summary>Typed options of `bench gemv`.</summary>
    private sealed record GemvBenchOptions(int N, int K, string DType, int Reps, int? Threads, bool Json, string? Preset);

    private static int ApplyThreads(int? threads)
    {
        if (threads is { } t)
        {
            if (t < 1) throw new ArgumentException($"--threads must be ≥ 1, got {t}");
            Engine.Threads = t;
        }
        return Engine.Threads;
    }

    private static int RunGemm(GemmBenchOptions o)
    {
        if (o.M < 1 || o.N < 1 || o.K < 1 || o.Reps < 1) throw new ArgumentException($"sizes and --reps must be ≥ 1 (m={o.M} n={o.N} k={o.K} reps={o.Reps})");
        int threads = ApplyThreads(o.Threads);
        var rng = new Rng(1);
        using var w = Tensor.Randn(new Shape(o.N, o.K), rng, 0.05f);
        using var a = Tensor.Randn(new Shape(o.M, o.K), rng);
        using var c = Tensor.Zeros(new Shape(o.M, o.N));
        using var packed = PackedWeight.Pack(w);
        Action call = o.Unpacked
            ? () => Gemm.Sgemm(Transpose.No, Transpose.Yes, o.M, o.N, o.K, 1f, a.Span, o.K, w.Span, o.K, 0f, c.Span, o.N)
            : () => Gemm.SgemmPacked(Transpose.No, o.M, 1f, a.Span, o.K, packed, 0f, c.Span, o.N);
        double ms = MedianMs(o.Reps, 3, call, out double cpuMs);
        double gflops = 2.0 * o.M * o.N * o.K / (ms * 1e6);
        double cpuGflops = 2.0 * o.M * o.N * o.K * o.Reps / (cpuMs * 1e6);
        if (o.Json)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"m\": {o.M}, \"n\": {o.N}, \"k\": {o.K}, \"threads\": {threads}, \"gflops\": {gflops:F2}, \"median_ms\": {ms:F4}, \"cpu_gflops\": {cpuGflops:F2}}}"));
            return 0;
        }
        var table = new Table().AddColumns("M", "N", "K", "threads", "median ms", "GFLOP/s", "GFLOP per CPU-s");
        table.AddRow(Inv(o.M), Inv(o.N), Inv(o.K), Inv(threads), Inv(ms, "F3"), Inv(gflops, "F1"), Inv(cpuGflops, "F1"));
        AnsiConsole.Write(table);
        return 0;
    }

    private static int RunGemv(GemvBenchOptions o)
    {
        if (o.N < 1 || o.K < 1 || o.Reps < 1) throw new ArgumentException($"sizes and --reps must be ≥ 1 (n={o.N} k={o.K} reps={o.Reps})");
        int threads = ApplyThreads(o.Threads);
        bool bf16 = o.DType == "bf16";
        // One N×K, or a preset's projections (out × in features) and lm_head in forward order: one decoded token's GEMVs.
        List<(int N, int K)> shapes = o.Preset is null ? [(o.N, o.K)] : DecodeShapes(o.Preset);
        var rng = new Rng(2);
        var weights = shapes.Select(s =>
        {
            using var wf = Tensor.Randn(new Shape(s.N, s.K), rng, 0.05f);
            return bf16 ? wf.To(DType.BF16) : wf.Detach();
        }).ToList();
        using var x = Tensor.Randn(new Shape(shapes.Max(s => s.K)), rng);
        using var y = Tensor.Zeros(new Shape(shapes.Max(s => s.N)));
        Action gemv = () =>
        {
            for (int i = 0; i < shapes.Count; i++)
            {
                var (n, k) = shapes[i];
                if (bf16) Gemv.RowMajorBf16(n, k, 1f, weights[i].AsSpan<ushort>(), k, x.Span, 0f, y.Span);
                else Gemv.RowMajor(n, k, 1f, weights[i].Span, k, x.Span, 0f, y.Span);
            }
        };
        var memory = new MemoryBandwidth(threads);
        // Alternate GEMV and the memory probes so all medians see the same machine state (shared VMs drift by 2× in seconds).
        var medians = MedianMsInterleaved(o.Reps, gemv, memory.Triad, memory.TriadNonTemporal, memory.Read);
        double ms = medians[0];
        double weightBytes = shapes.Sum(s => (double)s.N * s.K) * (bf16 ? 2 : 4);
        foreach (var w in weights) w.Dispose();
        double gemvGbs = weightBytes / (ms * 1e6);
        double triadGbs = MemoryBandwidth.TriadBytes / (medians[1] * 1e6);
        double triadNtGbs = MemoryBandwidth.TriadBytes / (medians[2] * 1e6);
        double readGbs = MemoryBandwidth.ReadBytes / (medians[3] * 1e6);
        double ratio = gemvGbs / triadGbs;
        if (o.Json)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{{(o.Preset is null ? $"\"n\": {o.N}, \"k\": {o.K}" : $"\"preset\": \"{o.Preset}\", \"gemvs\": {shapes.Count}, \"weight_bytes\": {weightBytes:F0}")}, \"dtype\": \"{o.DType}\", \"threads\": {threads}, \"median_ms\": {ms:F4}, \"gemv_gbs\": {gemvGbs:F2}, \"triad_gbs\": {triadGbs:F2}, \"ratio\": {ratio:F3}, \"triad_nt_gbs\": {triadNtGbs:F2}, \"ratio_nt\": {gemvGbs / triadNtGbs:F3}, \"read_gbs\": {readGbs:F2}, \"ratio_read\": {gemvGbs / readGbs:F3}}}"));
            return 0;
        }
        var table = new Table().AddColumns("N", "K", "dtype", "threads", "median ms", "weight GB/s", "triad GB/s", "ratio", "NT triad GB/s", "ratio", "read GB/s", "ratio");
        table.AddRow(o.Preset is null ? Inv(o.N) : $"{o.Preset} ({shapes.Count} GEMVs)", o.Preset is null ? Inv(o.K) : "", o.DType, Inv(threads), Inv(ms, "F4"), Inv(gemvGbs, "F1"), Inv(triadGbs, "F1"), Inv(ratio, "F2"),
            Inv(triadNtGbs, "F1"), Inv(gemvGbs / triadNtGbs, "F2"), Inv(readGbs, "F1"), Inv(gemvGbs / readGbs, "F2"));
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>(out, in) features of a preset's projections and lm_head, in forward order (a meta build: no weights).</summary>
    private static List<(int N, int K)> DecodeShapes(string preset)
    {
        var (model, _) = CausalLm.BuildMeta(ModelPresets.Get(preset).Config, DType.F32);
        using (model) return [.. model.Linears.Select(l => (l.Module.OutFeatures, l.Module.InFeatures))];
    }

    /// <summary>Medians (ms) of <paramref name="reps"/> rounds that time each body once in turn, after 300 ms of warm-up.</summary>
    private static double[] MedianMsInterleaved(int reps, params Action[] bodies)
    {
        long w0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < 3 || Stopwatch.GetElapsedTime(w0).TotalMilliseconds < 300; i++)
        {
            foreach (var body in bodies) body();
        }
        var times = new double[bodies.Length][];
        for (int j = 0; j < bodies.Length; j++) times[j] = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            for (int j = 0; j < bodies.Length; j++)
            {
                long t0 = Stopwatch.GetTimestamp();
                bodies[j]();
                times[j][i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        }
        return [.. times.Select(Median)];
    }

    private static double Median(double[] times)
    {
        Array.Sort(times);
        int n = times.Length;
        return n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    }

    private static double MedianMs(int reps, int warmup, Action body) => MedianMs(reps, warmup, body, out _);

    /// <summary>Median wall time of <paramref name="reps"/> calls; <paramref name="cpuMs"/> is the process CPU time they used.</summary>
    private static double MedianMs(int reps, int warmup, Action body, out double cpuMs)
    {
        // Warm up for at least `warmup` calls and 300 ms so tiered JIT and caches settle before timing.
        long w0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || Stopwatch.GetElapsedTime(w0).TotalMilliseconds < 300; i++) body();
        var times = new double[reps];
        var cpu0 = Environment.CpuUsage.TotalTime;
        for (int i = 0; i < reps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            body();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        cpuMs = (Environment.CpuUsage.TotalTime - cpu0).TotalMilliseconds;
        return Median(times);
    }

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Inv(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}

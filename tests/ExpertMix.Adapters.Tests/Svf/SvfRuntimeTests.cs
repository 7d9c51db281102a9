// SVF on real (tiny) models: basis cache and hash check, expert files, switching without touching base weights,
// the PyTorch golden (SVD, W'(p), one AdamW step of p), and SVF → LoRA.
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Svf;

public sealed class SvfRuntimeTests
{
    private static readonly long[] Ids = [3, 17, 200, 45, 9, 120, 77, 5, 250, 33];

    private static SvfExpert RandomExpert(string name, SvfBasis basis, ulong seed, double std = 1.0)
        => SvfExpert.CreateInitial(name, basis, new Rng(seed), mean: 0, std: std);

    private static ICausalLm OtherWeights(string model)
    {
        var config = HfConfigJson.Load(Path.Combine(LoraFixtures.ModelDir(model), "config.json"));
        return CausalLm.BuildRandom(config, DType.F32, 99);
    }

    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void BasisCacheRoundTripsAndRejectsOtherWeights(string model)
    {
        string dir = LoraFixtures.TempDir();
        using var lm = LoraFixtures.Load(model);
        int calls = 0;
        using var basis = SvfBasis.Decompose(lm, progress: p => Assert.Equal(++calls, p.Done));
        Assert.Equal(lm.Info.Layers * (model == "tiny-gpt2" ? 2 : 3), basis.Matrices.Count);
        Assert.Equal(basis.Matrices.Count, calls);
        string path = Path.Combine(dir, SvfBasis.FileName);
        basis.Save(path);
        using (var back = SvfBasis.Load(path, lm))
        {
            Assert.Equal(basis.Fingerprint, back.Fingerprint);
            foreach (var m in basis.Matrices)
            {
                Assert.Equal(m.U.ToArray(), back[m.ParamName].U.ToArray());
                Assert.Equal(m.S.ToArray(), back[m.ParamName].S.ToArray());
                Assert.Equal(m.V.ToArray(), back[m.ParamName].V.ToArray());
            }
        }
        using (var cached = SvfBasis.LoadOrDecompose(path, lm, progress: _ => Assert.Fail("the cached basis must be loaded, not recomputed")))
        {
            Assert.Equal(basis.Fingerprint, cached.Fingerprint);
        }
        string bf = Path.Combine(dir, "bf16.safetensors");
        basis.Save(bf, SvfBasisPrecision.BF16);
        using (var back = SvfBasis.Load(bf, lm))
        {
            Assert.Equal(basis.Fingerprint, back.Fingerprint);
            Assert.True(new FileInfo(bf).Length < new FileInfo(path).Length);
        }
        using var other = OtherWeights(model);
        var e = Assert.Throws<ArgumentException>(() => SvfBasis.Load(path, other));
        Assert.Contains(basis.Matrices.First(x => e.Message.Contains(x.ParamName, StringComparison.Ordinal)).ParamName, e.Message);
        Assert.Contains("sha256", e.Message);
        Directory.Delete(dir, true);
    }

    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void ApplyingSwitchingAndRemovingExpertsNeverTouchesBaseWeights(string model)
    {
        using var lm = LoraFixtures.Load(model);
        var before = lm.NamedParameters().Select(p => (p.Path, Data: p.Param.ToArray())).ToList();
        var baseLogits = LoraFixtures.Logits(lm, Ids);
        var modules = lm.Linears.Select(s => s.Module).ToList();
        using var basis = SvfBasis.Decompose(lm);
        using var a = RandomExpert("a", basis, 1);
        using var b = RandomExpert("b", basis, 2);
        using (var host = new SvfHost(lm, basis))
        {
            Assert.Equal(baseLogits, LoraFixtures.Logits(lm, Ids));              // wrapped, no mask: the base forward
            host.Apply(a);
            var la = LoraFixtures.Logits(lm, Ids);
            Assert.NotEqual(baseLogits, la);
            host.Apply(b);
            Assert.NotEqual(la, LoraFixtures.Logits(lm, Ids));
            host.Apply(a);
            Assert.Equal(la, LoraFixtures.Logits(lm, Ids));                      // switching back is exact
            using (var uniform = SvfExpert.CreateInitial("u", basis, new Rng(3), mean: 0.3, std: 0))
            {
                host.Apply(uniform);                                             // uniform z ⇒ W' = W up to f32 round-off
                TensorAssert.Close(baseLogits, LoraFixtures.Logits(lm, Ids), 1e-4, 1e-4, "uniform z");
            }
            host.ApplyMixture([a, b], [0.0, 0.0]);                               // all-zero α: base weights
            Assert.Equal(baseLogits, LoraFixtures.Logits(lm, Ids));
            host.ApplyMixture([a, b], [1.0, 0.0]);                               // one-hot α in mask space = that expert
            TensorAssert.Close(la, LoraFixtures.Logits(lm, Ids), 1e-5, 1e-5, "one-hot mixture");
            host.ApplyMixture([a, b], [1.0, 0.0], SvfMixSpace.Parameter);        // one-hot α in p space = that expert
            TensorAssert.Close(la, LoraFixtures.Logits(lm, Ids), 1e-5, 1e-5, "one-hot mixture of p");
            host.ApplyMixture([a, b], [0.5, 0.5]);
            var mixed = LoraFixtures.Logits(lm, Ids);
            Assert.NotEqual(la, mixed);
            host.ApplyMixture([a, b], [2.0, 2.0]);                               // only ratios matter (renormalisation)
            TensorAssert.Close(mixed, LoraFixtures.Logits(lm, Ids), 1e-5, 1e-5, "scaled α");
            host.Clear();
            Assert.Equal(baseLogits, LoraFixtures.Logits(lm, Ids));
        }
        Assert.Equal(modules, lm.Linears.Select(s => s.Module).ToList());        // original projections restored
        var after = lm.NamedParameters().Select(p => (p.Path, Data: p.Param.ToArray())).ToList();
        Assert.Equal(before.Select(x => x.Path), after.Select(x => x.Path));
        for (int i = 0; i < before.Count; i++) Assert.True(before[i].Data.AsSpan().SequenceEqual(after[i].Data), $"{before[i].Path} changed");
        Assert.Equal(baseLogits, LoraFixtures.Logits(lm, Ids));
    }

    [Fact]
    public void ExpertFilesRoundTripAndRefuseAnotherBasis()
    {
        string dir = LoraFixtures.TempDir();
        using var lm = LoraFixtures.Load("tiny-llama");
        using var basis = SvfBasis.Decompose(lm, baseModel: "tiny-llama");
        using var e = RandomExpert("math", basis, 5);
        e.Save(dir);
        using (var back = SvfExpert.Load(dir, basis))
        {
            Assert.Equal(e.Parameters.Select(x => x.ParamName), back.Parameters.Select(x => x.ParamName));
            for (int i = 0; i < e.Parameters.Count; i++) Assert.Equal(e.Parameters[i].P.ToArray(), back.Parameters[i].P.ToArray());
            Assert.Equal(basis.Fingerprint, back.BasisSha256);
            Assert.Equal(1f, back.MaxMult);
            Assert.Equal("tiny-llama", back.BaseModel);
            Assert.Equal(0.0, back.Config!.InitMean);
        }
        using (var raw = ExpertMix.Tensors.IO.SafetensorsFile.Open(Path.Combine(dir, SvfExpert.WeightsFileName)))
        {
            Assert.Equal("pre-sigmoid", raw.Metadata["param"]);
            Assert.Equal(SvfExpert.Format, raw.Metadata["format"]);
            Assert.Equal(basis.Fingerprint, raw.Metadata["basis_sha256"]);
            using var stored = raw.GetTensor(e.Parameters[0].ParamName);
            Assert.Equal(e.Parameters[0].P.ToArray(), stored.ToArray());                 // p itself, not z
        }
        using var other = OtherWeights("tiny-llama");
        using var otherBasis = SvfBasis.Decompose(other);
        var err = Assert.Throws<ArgumentException>(() => SvfExpert.Load(dir, otherBasis));
        Assert.Contains("another basis", err.Message);
        Assert.Contains(SvfExpert.WeightsFileName, err.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void MatchesThePyTorchGolden()
    {
        var golden = LoraFixtures.Golden("svf-tiny-llama.safetensors");
        // SVD: σ and singular vectors (up to sign) of one matrix
        var w = golden["svd.W"];
        int m = w.Shape[0], n = w.Shape[1];
        var svd = FullSvd.Decompose(w.Data, m, n);
        TensorAssert.Close(golden["svd.S"].Data.Select(x => (double)x).ToArray(), svd.Sigma, 1e-6, 1e-5, "σ");
        var gu = golden["svd.U"].Data;
        for (int k = 0; k < svd.Rank; k++)
        {
            double dot = 0;
            for (int i = 0; i < m; i++) dot += svd.U[(i * svd.Rank) + k] * gu[(i * svd.Rank) + k];
            Assert.True(Math.Abs(Math.Abs(dot) - 1) <= 1e-4, $"|u_{k}ᵀu'_{k}| = {Math.Abs(dot)}");
        }
        // W'(p) for that matrix
        var p = golden["compose.p"].Data;
        var z = new float[p.Length];
        SvfMath.Mask(p, 1f, z);
        var wp = new float[m * n];
        SvfMath.Compose(Array.ConvertAll(svd.U, x => (float)x), Array.ConvertAll(svd.Sigma, x => (float)x), Array.ConvertAll(svd.V, x => (float)x), z, m, n, wp);
        TensorAssert.Close(golden["compose.W"].Data, wp, 1e-6, 1e-4, "W'(p)");

        // one AdamW step of p through the model
        using var lm = LoraFixtures.Load("tiny-llama");
        using var basis = SvfBasis.Decompose(lm);
        using var expert = SvfFixtures.GoldenInitialExpert(golden, basis);
        using var host = new SvfHost(lm, basis);
        host.Apply(expert);
        long[] batch = golden["train.batch"].ToInt64();
        int rows = 2, t = batch.Length / rows;
        var ids = batch.Select(x => (int)x).ToArray();
        using var opt = new AdamW(expert.Parameters.Select(x => x.P), new AdamWOptions(LearningRate: double.Parse(golden.Metadata["lr"], System.Globalization.CultureInfo.InvariantCulture), WeightDecay: 0.01));
        double loss;
        using (var scope = TensorScope.Begin())
        {
            var b = new TrainingBatch(Tensor.FromInts(ids, new Shape(rows, t)), Tensor.FromInts(ids, new Shape(rows, t)), Tensor.Ones(new Shape(rows, t)));
            var l = CausalLmLoss.Compute(lm, b, ForwardMode.Train);
            loss = l.Item();
            l.Backward();
        }
        Assert.Equal(golden["train.loss"].Data[0], loss, 4);
        foreach (var (name, pt) in expert.Parameters) TensorAssert.Close(golden[$"grad.{name}"].Data, pt.Grad!.ToArray(), 1e-6, 2e-3, $"∂L/∂p {name}");
        opt.Step();
        foreach (var (name, pt) in expert.Parameters) TensorAssert.Close(golden[$"final.{name}"].Data, pt.ToArray(), 1e-6, 1e-5, $"p after one step {name}");
        Assert.All(lm.NamedParameters(), x => Assert.Null(x.Param.Grad));
    }

    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void SvfToLoraErrorIsTheTailAndFullRankReproducesTheLogits(string model)
    {
        using var lm = LoraFixtures.Load(model);
        using var basis = SvfBasis.Decompose(lm);
        using var expert = RandomExpert("e", basis, 7);
        float[] svfLogits;
        Dictionary<string, float[]> zs;
        using (var host = new SvfHost(lm, basis))
        {
            host.Apply(expert);
            svfLogits = LoraFixtures.Logits(lm, Ids);
            zs = host.Linears.ToDictionary(l => l.Basis.ParamName, l => l.CurrentZ()!);
        }
        bool conv = model == "tiny-gpt2";
        foreach (int k in new[] { 1, 5, 1000 })
        {
            var conversion = SvfToLora.Convert(basis, zs, RankSelection.Rank(k), "lora", conv);
            using var adapter = conversion.Adapter;
            foreach (var report in conversion.Modules)
            {
                var mb = basis[report.ModulePath + ".weight"];
                var module = adapter.Modules[report.ModulePath];
                int m = mb.Rows, n = mb.Cols, r = mb.Rank;
                Assert.Equal(Math.Min(k, r), report.Rank);
                // ‖W + BA − W'‖_F in f64 from the stored factors vs the formula sqrt(Σ_{i∉K} d_i²)
                var u = Array.ConvertAll(mb.U.ToArray(), x => (double)x);
                var s = Array.ConvertAll(mb.S.ToArray(), x => (double)x);
                var v = Array.ConvertAll(mb.V.ToArray(), x => (double)x);
                var wBase = SvfMath.ComposeReferenceZ(u, s, v, Enumerable.Repeat(1.0, r).ToArray(), m, n);
                var wPrime = SvfMath.ComposeReferenceZ(u, s, v, Array.ConvertAll(zs[mb.ParamName], x => (double)x), m, n);
                var bf = module.B.ToArray();
                var af = module.A.ToArray();
                double err = 0, delta = 0;
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double ba = 0;
                        for (int q = 0; q < report.Rank; q++) ba += (double)bf[(i * report.Rank) + q] * af[(q * n) + j];
                        double dw = wPrime[(i * n) + j] - wBase[(i * n) + j];
                        err += (dw - ba) * (dw - ba);
                        delta += dw * dw;
                    }
                }
                // f32 factors: agreement to ~1e-6·‖ΔW‖ (at k = r the f64 error is that rounding alone)
                Assert.True(Math.Abs(Math.Sqrt(err) - report.FrobeniusError) <= 2e-6 * Math.Sqrt(delta), $"{report.ModulePath} k={k}: ‖ΔW − BA‖ = {Math.Sqrt(err)} vs formula {report.FrobeniusError}");
                Assert.Equal(1.0, report.TailEnergy[0], 12);
                Assert.Equal(0.0, report.TailEnergy[^1], 12);
                Assert.Equal(report.RelativeError * report.RelativeError, report.TailEnergy[report.Rank], 9);
            }
            if (k < 1000) continue;
            Assert.All(conversion.Modules, r => Assert.Equal(0.0, r.FrobeniusError));
            string dir = LoraFixtures.TempDir();
            PeftFormat.Save(adapter, dir);
            using var loaded = PeftFormat.Load(dir);
            Assert.Equal(conv, loaded.Config.FanInFanOut);
            using var lm2 = LoraFixtures.Load(model);
            using var lora = new LoraHost(lm2);
            lora.Add(loaded);
            TensorAssert.Close(svfLogits, LoraFixtures.Logits(lm2, Ids), 1e-4, 1e-4, "PEFT adapter at k = r vs SVF logits");
            lora.Remove(loaded.Name);
            Directory.Delete(dir, true);
        }
        // choose k by relative tail energy ε²
        var byError = SvfToLora.Convert(basis, zs, RankSelection.RelativeError(0.3), "eps", conv);
        using (byError.Adapter)
        {
            Assert.All(byError.Modules, r => Assert.True(r.RelativeError <= 0.3 + 1e-12));
            Assert.All(byError.Modules, r => Assert.True(r.Rank == 1 || r.TailEnergy[r.Rank - 1] > 0.09));
            string dir = LoraFixtures.TempDir();
            PeftFormat.Save(byError.Adapter, dir);                                // per-module ranks via rank_pattern/alpha_pattern
            using var loaded = PeftFormat.Load(dir);
            foreach (var r in byError.Modules)
            {
                Assert.Equal(r.Rank, loaded.Modules[r.ModulePath].Rank);
                Assert.Equal(1f, loaded.Modules[r.ModulePath].Scaling);
            }
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void AutogradGradientOfPMatchesFiniteDifferencesThroughTheModel(string model)
    {
        using var lm = LoraFixtures.Load(model);
        using var basis = SvfBasis.Decompose(lm);
        using var expert = RandomExpert("e", basis, 9, std: 0.5);
        using var host = new SvfHost(lm, basis);
        host.Apply(expert);
        var ids = Ids.Select(x => (int)x).ToArray();
        double Loss(bool backward)
        {
            using var scope = TensorScope.Begin();
            var shape = new Shape(1, ids.Length);
            var b = new TrainingBatch(Tensor.FromInts(ids, shape), Tensor.FromInts(ids, shape), Tensor.Ones(shape));
            var l = CausalLmLoss.Compute(lm, b, ForwardMode.Train);
            if (backward) l.Backward();
            return l.Item();
        }
        Loss(backward: true);
        foreach (var (name, p) in new[] { expert.Parameters[0], expert.Parameters[^1] })
        {
            var grad = p.Grad!.ToArray();
            int top = Enumerable.Range(0, grad.Length).MaxBy(i => Math.Abs(grad[i]));
            foreach (int i in new[] { 0, top })
            {
                const float Eps = 0.05f;
                float keep = p.Span[i];
                p.Span[i] = keep + Eps;
                double plus = Loss(backward: false);
                p.Span[i] = keep - Eps;
                double minus = Loss(backward: false);
                p.Span[i] = keep;
                double fd = (plus - minus) / (2 * Eps);
                Assert.True(Math.Abs(fd - grad[i]) <= 2e-4 + (0.03 * Math.Abs(fd)), $"{name}[{i}]: autograd {grad[i]} vs finite difference {fd}");
            }
        }
    }

    [Fact]
    public void BFloat16BaseGetsABFloat16ComposedWeightAndIsRestoredExactly()
    {
        using var lm = CausalLm.Load(LoraFixtures.ModelDir("tiny-qwen2"), new LoadOptions(DType: DTypePolicy.Keep));
        var baseLogits = LoraFixtures.Logits(lm, Ids);
        using var basis = SvfBasis.Decompose(lm);
        using var expert = RandomExpert("e", basis, 3);
        using (var host = new SvfHost(lm, basis))
        {
            Assert.All(host.Linears, l => Assert.Equal(DType.BF16, l.BaseWeight.DType));
            host.Apply(expert);
            Assert.NotEqual(baseLogits, LoraFixtures.Logits(lm, Ids));
            using (var w = host.Linears[0].EffectiveWeight()) Assert.Equal(DType.F32, w.DType);
            host.Clear();
            Assert.Equal(baseLogits, LoraFixtures.Logits(lm, Ids));
        }
        Assert.Equal(baseLogits, LoraFixtures.Logits(lm, Ids));
    }
}

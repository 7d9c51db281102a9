// AdamW state save/restore: bit-exact resumption and clear validation errors.
using ExpertMix.Tensors.Optim;
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class OptimStateTests
{
    private sealed class Model : IDisposable
    {
        public Model(ulong seed)
        {
            var rng = new Rng(seed);
            W = Tensor.Randn(new Shape(7, 5), rng);
            B = Tensor.Randn(new Shape(5), rng);
            W.Name = "layer.weight";
            B.Name = "layer.bias";
            W.RequiresGrad = B.RequiresGrad = true;
        }

        public Tensor W { get; }
        public Tensor B { get; }

        public AdamW NewOptimizer(bool amsgrad = false) => new([
            new ParameterGroup("decay", [W], new AdamWOptions(1e-2, WeightDecay: 0.1, Amsgrad: amsgrad)),
            new ParameterGroup("no_decay", [B], new AdamWOptions(1e-2, WeightDecay: 0.0, Amsgrad: amsgrad)),
        ]);

        /// <summary>Deterministic pseudo-gradients that depend on the step and the current values.</summary>
        public void SetGrads(int step)
        {
            foreach (var p in new[] { W, B })
            {
                var v = p.Span.ToArray();
                for (int i = 0; i < v.Length; i++) v[i] = MathF.Sin(v[i] * 3 + step + i) * 0.1f;
                p.Grad = TensorScope.Forget(Tensor.FromArray(v, p.Shape));
            }
        }

        public void CopyFrom(Model other)
        {
            W.CopyFrom(other.W);
            B.CopyFrom(other.B);
        }

        public void Dispose()
        {
            W.Dispose();
            B.Dispose();
        }
    }

    private static void Train(Model m, AdamW opt, ILrSchedule schedule, int from, int count)
    {
        for (int s = from; s < from + count; s++)
        {
            opt.ApplySchedule(schedule, s);
            m.SetGrads(s);
            opt.Step();
            opt.ZeroGrad();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Restored_state_resumes_bit_identically(bool amsgrad)
    {
        const int n = 4, mSteps = 5;
        var schedule = new LinearWarmupCosineDecaySchedule(1e-2, 2, n + mSteps);
        using var a = new Model(1);
        using var optA = a.NewOptimizer(amsgrad);
        Train(a, optA, schedule, 0, n);
        using var saved = optA.GetState();
        using var b = new Model(99);
        b.CopyFrom(a);
        Train(a, optA, schedule, n, mSteps);

        using var optB = b.NewOptimizer(amsgrad);
        optB.LoadState(saved);
        Assert.Equal(optA.Groups[0].LearningRate == 0 ? 0 : n, optB.StepOf("layer.weight"));
        Train(b, optB, schedule, n, mSteps);

        TensorAssert.BitEqual(a.W.Span, b.W.Span, "weight after resume");
        TensorAssert.BitEqual(a.B.Span, b.B.Span, "bias after resume");
        using var sa = optA.GetState();
        using var sb = optB.GetState();
        Assert.Equal(sa.Tensors.Keys.Order(StringComparer.Ordinal), sb.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (k, t) in sa.Tensors)
        {
            if (t.DType == DType.F32) TensorAssert.BitEqual(t.Span, sb.Tensors[k].Span, k);
            else Assert.Equal(t.ToInt64Array(), sb.Tensors[k].ToInt64Array());
        }
        Assert.Equal(sa.Metadata, sb.Metadata);
    }

    [Fact]
    public void State_written_to_safetensors_and_read_back_resumes_bit_identically()
    {
        var schedule = new LinearWarmupLinearDecaySchedule(1e-2, 1, 8);
        using var a = new Model(5);
        using var optA = a.NewOptimizer();
        Train(a, optA, schedule, 0, 3);
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-optim-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "optimizer.safetensors");
            using (var saved = optA.GetState()) ExpertMix.Tensors.IO.SafetensorsWriter.Write(path, saved.Tensors, saved.Metadata);
            using var b = new Model(6);
            b.CopyFrom(a);
            Train(a, optA, schedule, 3, 4);

            using var optB = b.NewOptimizer();
            using (var file = ExpertMix.Tensors.IO.SafetensorsFile.Open(path))
            {
                var tensors = file.Names.ToDictionary(n => n, n => file.GetTensor(n));
                using var loaded = new OptimizerState(tensors, file.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value));
                optB.LoadState(loaded);
            }
            Train(b, optB, schedule, 3, 4);
            TensorAssert.BitEqual(a.W.Span, b.W.Span, "weight after resume from disk");
            TensorAssert.BitEqual(a.B.Span, b.B.Span, "bias after resume from disk");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Restored_state_without_it_would_differ()
    {
        // Guards the test above: a fresh optimizer (no LoadState) does not reproduce the trajectory.
        var schedule = new ConstantSchedule(1e-2);
        using var a = new Model(1);
        using var optA = a.NewOptimizer();
        Train(a, optA, schedule, 0, 3);
        using var b = new Model(2);
        b.CopyFrom(a);
        Train(a, optA, schedule, 3, 2);
        using var optB = b.NewOptimizer();
        Train(b, optB, schedule, 3, 2);
        Assert.NotEqual(a.W.Span.ToArray(), b.W.Span.ToArray());
    }

    [Fact]
    public void State_is_a_plain_name_to_tensor_map_with_metadata()
    {
        using var m = new Model(3);
        using var opt = m.NewOptimizer();
        Train(m, opt, new ConstantSchedule(1e-2), 0, 2);
        using var st = opt.GetState();
        Assert.Equal(
            new[] { "layer.bias.exp_avg", "layer.bias.exp_avg_sq", "layer.bias.step", "layer.weight.exp_avg", "layer.weight.exp_avg_sq", "layer.weight.step" },
            st.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new Shape(7, 5), st.Tensors["layer.weight.exp_avg"].Shape);
        Assert.Equal(DType.I64, st.Tensors["layer.weight.step"].DType);
        Assert.Equal(0, st.Tensors["layer.weight.step"].Rank);
        Assert.Equal(new long[] { 2 }, st.Tensors["layer.weight.step"].ToInt64Array());
        Assert.Equal("AdamW", st.Metadata["optimizer"]);
        Assert.Equal("decay,no_decay", st.Metadata["groups"]);
        Assert.Equal("0.01", st.Metadata["group.decay.lr"]);
    }

    private static string LoadError(Action<OptimizerState> corrupt)
    {
        using var m = new Model(4);
        using var opt = m.NewOptimizer();
        Train(m, opt, new ConstantSchedule(1e-2), 0, 1);
        using var st = opt.GetState();
        corrupt(st);
        using var fresh = new Model(4);
        using var opt2 = fresh.NewOptimizer();
        var ex = Assert.Throws<ArgumentException>(() => opt2.LoadState(st));
        Assert.Equal(0, opt2.StepOf("layer.weight")); // nothing applied
        return ex.Message;
    }

    [Fact]
    public void Loading_validates_names_shapes_and_metadata()
    {
        Assert.Contains("'layer.weight.exp_avg' is [5, 7]", LoadError(st =>
        {
            var t = st.Tensors["layer.weight.exp_avg"];
            st.Tensors["layer.weight.exp_avg"] = TensorScope.Forget(Tensor.Zeros(new Shape(5, 7)));
            t.Dispose();
        }), StringComparison.Ordinal);
        Assert.Contains("'other.weight.exp_avg' names no parameter", LoadError(st =>
        {
            st.Tensors["other.weight.exp_avg"] = TensorScope.Forget(Tensor.Zeros(new Shape(1)));
        }), StringComparison.Ordinal);
        Assert.Contains("unknown suffix", LoadError(st => st.Tensors["layer.weight.momentum"] = TensorScope.Forget(Tensor.Zeros(new Shape(1)))), StringComparison.Ordinal);
        Assert.Contains("incomplete", LoadError(st =>
        {
            st.Tensors["layer.bias.step"].Dispose();
            st.Tensors.Remove("layer.bias.step");
        }), StringComparison.Ordinal);
        Assert.Contains("not supported", LoadError(st => st.Metadata["state_format_version"] = "0"), StringComparison.Ordinal);
        Assert.Contains("not AdamW", LoadError(st => st.Metadata["optimizer"] = "SGD"), StringComparison.Ordinal);
        Assert.Contains("groups [a,b]", LoadError(st => st.Metadata["groups"] = "a,b"), StringComparison.Ordinal);
        Assert.Contains("differ", LoadError(st => st.Metadata["group.decay.options"] = "lr=1"), StringComparison.Ordinal);
        Assert.Contains("max_exp_avg_sq is present", LoadError(st =>
        {
            st.Tensors["layer.bias.max_exp_avg_sq"] = TensorScope.Forget(Tensor.Zeros(new Shape(5)));
        }), StringComparison.Ordinal);
    }
}

// The backend seam: ops dispatch every kernel through their inputs' backend, allocate there, and refuse mixed backends.
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class BackendSeamTests
{
    private const int Rows = 5, In = 8, Out = 6;

    /// <summary>Inputs of the small graph, made on the CPU from a fixed seed.</summary>
    private sealed class Inputs : IDisposable
    {
        public Inputs()
        {
            var rng = new Rng(2024);
            X = Tensor.Randn(new[] { Rows, In }, rng);
            W = Tensor.Randn(new[] { Out, In }, rng, 0.3f);
            B = Tensor.Randn(new[] { Out }, rng, 0.1f);
            LnW = Tensor.Randn(new[] { Out }, rng, 0.5f);
            LnB = Tensor.Randn(new[] { Out }, rng, 0.1f);
            C = Tensor.Randn(new[] { Rows, Out }, rng);
            Targets = Tensor.FromInts([1, 0, 5, 3, 2], new[] { Rows });
        }

        public Tensor X { get; }

        public Tensor W { get; }

        public Tensor B { get; }

        public Tensor LnW { get; }

        public Tensor LnB { get; }

        public Tensor C { get; }

        public Tensor Targets { get; }

        public Tensor[] All => [X, W, B, LnW, LnB, C, Targets];

        public void Dispose()
        {
            foreach (var t in All) t.Dispose();
        }
    }

    /// <summary>loss = cross_entropy(n, t) + Σ softmax(n)·c with n = layer_norm(gelu(linear(x, W, b))); then backward.</summary>
    private static (Tensor Loss, Tensor[] Grads) ForwardBackward(Tensor[] t)
    {
        var (x, w, b, lnw, lnb, c, targets) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
        foreach (var p in new[] { x, w, b, lnw, lnb }) p.RequiresGrad = true;
        using var h = Ops.Linear(x, w, b);
        using var a = Ops.Gelu(h);
        using var n = Ops.LayerNorm(a, lnw, lnb);
        using var ce = Ops.CrossEntropy(n, targets);
        using var s = Ops.Softmax(n);
        using var sc = Ops.Mul(s, c);
        using var reg = Ops.Sum(sc);
        var loss = Ops.Add(ce, reg);
        Autograd.Backward(loss);
        return (loss, [x.Grad!, w.Grad!, b.Grad!, lnw.Grad!, lnb.Grad!]);
    }

    [Fact]
    public void Forward_and_backward_dispatch_every_kernel_through_the_tensors_backend()
    {
        using var inputs = new Inputs();
        var cpuCopies = inputs.All.Select(t => t.Clone()).ToArray();
        var (cpuLoss, cpuGrads) = ForwardBackward(cpuCopies);

        var rec = new RecordingBackend();
        var onRec = inputs.All.Select(rec.Upload).ToArray();
        rec.Clear();
        long cpuAllocationsBefore = CpuBackend.AllocationsOnThisThread;
        var (loss, grads) = ForwardBackward(onRec);
        long cpuAllocations = CpuBackend.AllocationsOnThisThread - cpuAllocationsBefore;

        Assert.Equal(0, cpuAllocations);
        Assert.Same(rec, loss.Backend);
        foreach (var g in grads) Assert.Same(rec, g.Backend);

        var calls = rec.Calls;
        string[] expected =
        [
            "Linear", "Unary.Gelu", "LayerNorm", "CrossEntropy", "Softmax.Softmax", "Binary.Mul", "SumAll", "Binary.Add",
            "CrossEntropyBackward", "SoftmaxBackward.Softmax", "LayerNormBackward", "Binary.GeluGrad", "MatMul", "SumRows",
        ];
        foreach (var name in expected) Assert.Contains(name, calls);
        Assert.Contains("Empty", calls);

        TensorAssert.BitEqual(cpuLoss.ToArray(), loss.ToArray(), "loss");
        string[] names = ["dx", "dW", "db", "dLnW", "dLnB"];
        for (int i = 0; i < grads.Length; i++) TensorAssert.BitEqual(cpuGrads[i].ToArray(), grads[i].ToArray(), names[i]);

        foreach (var t in cpuCopies.Concat(onRec)) t.Dispose();
        cpuLoss.Dispose();
        loss.Dispose();
    }

    [Fact]
    public void Cpu_backend_alone_produces_cpu_tensors_and_counts_its_allocations()
    {
        using var inputs = new Inputs();
        var copies = inputs.All.Select(t => t.Clone()).ToArray();
        long before = CpuBackend.AllocationsOnThisThread;
        var (loss, grads) = ForwardBackward(copies);
        Assert.True(CpuBackend.AllocationsOnThisThread > before, "the CPU allocation counter must see the CPU run's outputs");
        Assert.Same(CpuBackend.Instance, loss.Backend);
        foreach (var g in grads) Assert.Same(CpuBackend.Instance, g.Backend);
        Assert.True(float.IsFinite(loss.Item()));
        foreach (var t in copies) t.Dispose();
        loss.Dispose();
    }

    [Fact]
    public void Ops_on_tensors_from_two_backends_throw_naming_both()
    {
        var rec = new RecordingBackend();
        using var cpuA = Tensor.Full(new[] { 2, 3 }, 1f);
        using var cpuW = Tensor.Full(new[] { 4, 3 }, 1f);
        using var recB = rec.Upload(cpuA);
        using var recW = rec.Upload(cpuW);

        var cases = new (string Op, Action Run)[]
        {
            ("Add", () => Ops.Add(cpuA, recB).Dispose()),
            ("Mul", () => Ops.Mul(recB, cpuA).Dispose()),
            ("AddScaled", () => Ops.AddScaled(cpuA, recB, 2f).Dispose()),
            ("Linear", () => Ops.Linear(cpuA, recW).Dispose()),
            ("MatMul", () => Ops.MatMul(recB, cpuW.Transpose(0, 1)).Dispose()),
            ("LayerNorm", () => Ops.LayerNorm(recB, Tensor.Ones(new[] { 3 }), null).Dispose()),
            ("Concat", () => Ops.Concat([cpuA, recB], 0).Dispose()),
        };
        foreach (var (op, run) in cases)
        {
            var e = Assert.Throws<ArgumentException>(run);
            Assert.Contains("'cpu'", e.Message, StringComparison.Ordinal);
            Assert.Contains("'recording'", e.Message, StringComparison.Ordinal);
            Assert.Contains("different backends", e.Message, StringComparison.Ordinal);
            Assert.StartsWith(op + ":", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Ops_allocate_their_outputs_on_the_input_backend()
    {
        var rec = new RecordingBackend();
        using var cpu = Tensor.Randn(new[] { 3, 4 }, new Rng(7));
        using var x = rec.Upload(cpu);
        using var y = Ops.Exp(x);
        using var z = Ops.Sum(x, 1);
        using var s = Ops.Softmax(x);
        using var m = Ops.Mul(x, 2f);
        foreach (var t in new[] { y, z, s, m }) Assert.Same(rec, t.Backend);
        Assert.Contains("Unary.Exp", rec.Calls);
        Assert.Contains("SumDim", rec.Calls);
        Assert.Contains("BinaryScalar.Mul", rec.Calls);
        using var yc = Ops.Exp(cpu);
        TensorAssert.BitEqual(yc.ToArray(), y.ToArray(), "exp");
    }

    /// <summary>
    /// A transformer-ish step touching the other families: embedding → rms_norm → rope → attention (GQA, causal) →
    /// dropout → matmul → top-k/gather → loss; backward; one AdamW step with gradient clipping.
    /// </summary>
    private static (float[][] Results, long CpuAllocations) TransformerStep(Func<Tensor, Tensor> place)
    {
        var rng = new Rng(99);
        using var embC = Tensor.Randn(new[] { 10, 8 }, rng, 0.5f);
        using var normC = Tensor.Randn(new[] { 8 }, rng, 0.2f);
        using var projC = Tensor.Randn(new[] { 8, 8 }, rng, 0.3f);
        using var idsC = Tensor.FromInts([3, 1, 4, 1, 5, 9], new[] { 2, 3 });
        using var posC = Tensor.FromInts([0, 1, 2], new[] { 3 });
        using var pickC = Tensor.FromInts([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1], new[] { 2, 2, 3, 1 });
        var emb = place(embC);
        var norm = place(normC);
        var proj = place(projC);
        using var ids = place(idsC);
        using var pos = place(posC);
        using var pick = place(pickC);
        foreach (var p in new[] { emb, norm, proj }) p.RequiresGrad = true;
        (emb.Name, norm.Name, proj.Name) = ("emb", "norm", "proj");
        long before = CpuBackend.AllocationsOnThisThread;

        using var x = Ops.Embedding(emb, ids);                       // [2, 3, 8]
        using var xn = Ops.RmsNorm(x, norm);
        using var xp = Ops.MatMul(xn, proj);                         // [2, 3, 8]
        using var q4 = xp.Reshape(2, 3, 2, 4);
        using var q = q4.Transpose(1, 2);                            // [2, 2, 3, 4] (strided view)
        using var kv = Ops.Mul(q, 0.5f);
        using var kv1 = Ops.Mean(kv, 1, keepDim: true);              // one kv head (GQA) [2, 1, 3, 4]
        var (cos, sin) = Ops.RopeTable([1f, 0.1f], pos);
        using var qr = Ops.Rope(q, cos, sin);
        using var kr = Ops.Rope(kv1, cos, sin);
        using var att = Ops.ScaledDotProductAttention(qr, kr, kv1);  // [2, 2, 3, 4]
        using var dr = Ops.Dropout(att, 0.25f, new Rng(5));
        var (top, topIdx) = Ops.TopK(dr, 2);
        using var g = Ops.Gather(dr, 3, pick);
        using var t1 = Ops.Sum(top);
        using var t2 = Ops.Mean(g);
        using var sq = Ops.Square(att);
        using var t3 = Ops.Sum(sq);
        using var t12 = Ops.Add(t1, t2);
        using var loss = Ops.Add(t12, t3);
        Autograd.Backward(loss);
        Optim.GradClipping.ClipGlobalNorm([emb, norm, proj], 0.5);
        using (var opt = new Optim.AdamW([emb, norm, proj])) opt.Step();
        long cpuAllocations = CpuBackend.AllocationsOnThisThread - before;

        var result = new[] { loss.ToArray(), emb.ToArray(), norm.ToArray(), proj.ToArray(), topIdx.ToArray() };
        foreach (var t in new[] { emb, norm, proj, cos, sin, top, topIdx }) t.Dispose();
        return (result, cpuAllocations);
    }

    [Fact]
    public void Transformer_families_dispatch_through_the_backend_and_match_the_cpu_bit_for_bit()
    {
        var (expected, cpuRunAllocations) = TransformerStep(t => t.Clone());
        var rec = new RecordingBackend();
        var (actual, recRunAllocations) = TransformerStep(rec.Upload);
        Assert.True(cpuRunAllocations > 0, "the CPU run must be seen by the allocation counter");
        Assert.Equal(0, recRunAllocations);
        string[] names = ["loss", "embedding after AdamW", "norm weight after AdamW", "projection after AdamW", "top-k indices"];
        for (int i = 0; i < expected.Length; i++) TensorAssert.BitEqual(expected[i], actual[i], names[i]);
        string[] families =
        [
            "IndexSelect", "RmsNorm", "MatMul", "RopeTable", "Rope", "Attention", "DropoutMask", "TopK", "Gather",
            "IndexAdd", "SumDim", "RmsNormBackward", "RopeBackward", "AttentionBackward", "Scatter.Assign", "Scatter.Add",
            "SumOfSquares", "AdamWUpdate",
        ];
        foreach (var f in families) Assert.Contains(f, rec.Calls);
    }
}

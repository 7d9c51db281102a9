// Test-only one-block pre-norm GPT-style LM of tools/golden/trajectory.py, built from the engine's differentiable ops.
using ExpertMix.Tensors.IO;

namespace ExpertMix.Tensors.Tests;

/// <summary>
/// The model of <c>tools/golden/trajectory.py</c> (V=64, C=32, H=4, Dh=8, T≤8): token + learned position embeddings,
/// one pre-norm block (LayerNorm, 4-head causal MHA with biased q/k/v/o, LayerNorm, exact-GELU MLP 32→128→32),
/// final LayerNorm and an untied lm_head without bias. Parameters are writable F32 leaves that require grad, named
/// as in the script (e.g. <c>attn.q.weight</c>); the model owns and disposes them. <see cref="Forward"/> creates
/// its intermediates in the current <see cref="TensorScope"/> (run it inside one).
/// </summary>
internal sealed class TinyBlockLm : IDisposable
{
    public const int Vocab = 64;
    public const int Channels = 32;
    public const int Heads = 4;
    public const int HeadDim = Channels / Heads;
    public const int MaxPositions = 8;
    private const float Eps = 1e-5f;

    /// <summary>The parameter names in the script's model order.</summary>
    public static readonly string[] ParameterNames =
    [
        "tok_emb.weight", "pos_emb.weight",
        "ln1.weight", "ln1.bias",
        "attn.q.weight", "attn.q.bias", "attn.k.weight", "attn.k.bias",
        "attn.v.weight", "attn.v.bias", "attn.o.weight", "attn.o.bias",
        "ln2.weight", "ln2.bias",
        "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
        "ln_f.weight", "ln_f.bias",
        "lm_head.weight",
    ];

    private readonly Dictionary<string, Tensor> _byName;

    private TinyBlockLm(Tensor[] parameters)
    {
        Parameters = parameters;
        _byName = parameters.ToDictionary(p => p.Name!, StringComparer.Ordinal);
    }

    /// <summary>The parameters in model order.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The parameter called <paramref name="name"/>.</summary>
    public Tensor this[string name] => _byName[name];

    /// <summary>
    /// Copies <c>&lt;prefix&gt;&lt;name&gt;</c> of every parameter out of <paramref name="file"/> into writable F32
    /// tensors (outside every scope) that require grad.
    /// </summary>
    public static TinyBlockLm Load(SafetensorsFile file, string prefix)
    {
        var ps = new Tensor[ParameterNames.Length];
        for (int i = 0; i < ps.Length; i++)
        {
            using var mapped = file.GetTensor(prefix + ParameterNames[i]);
            var p = TensorScope.Forget(mapped.To(DType.F32));
            p.Name = ParameterNames[i];
            p.RequiresGrad = true;
            ps[i] = p;
        }
        return new TinyBlockLm(ps);
    }

    /// <summary>Logits [B, T, V] for token ids [B, T] (I32/I64), T ≤ 8.</summary>
    public Tensor Forward(Tensor ids)
    {
        int b = ids.Size(0), t = ids.Size(1);
        var positions = Tensor.FromInts(Enumerable.Range(0, t).ToArray(), new Shape(t));
        var x = Ops.Add(Ops.Embedding(this["tok_emb.weight"], ids), Ops.Embedding(this["pos_emb.weight"], positions)); // [B,T,C]
        var h = Ops.LayerNorm(x, this["ln1.weight"], this["ln1.bias"], Eps);                                         // [B,T,C]

        Tensor HeadsOf(string n) =>
            Ops.Linear(h, this[$"attn.{n}.weight"], this[$"attn.{n}.bias"]).Reshape(b, t, Heads, HeadDim).Transpose(1, 2); // [B,H,T,Dh]

        var att = Ops.ScaledDotProductAttention(HeadsOf("q"), HeadsOf("k"), HeadsOf("v"), mask: null, causal: true);  // [B,H,T,Dh]
        var a = att.Transpose(1, 2).Reshape(b, t, Channels);                                                          // [B,T,C]
        x = Ops.Add(x, Ops.Linear(a, this["attn.o.weight"], this["attn.o.bias"]));                                    // [B,T,C]
        h = Ops.LayerNorm(x, this["ln2.weight"], this["ln2.bias"], Eps);
        var up = Ops.Gelu(Ops.Linear(h, this["mlp.fc1.weight"], this["mlp.fc1.bias"]));                               // [B,T,4C]
        x = Ops.Add(x, Ops.Linear(up, this["mlp.fc2.weight"], this["mlp.fc2.bias"]));                                 // [B,T,C]
        x = Ops.LayerNorm(x, this["ln_f.weight"], this["ln_f.bias"], Eps);
        return Ops.Linear(x, this["lm_head.weight"]);                                                                 // [B,T,V]
    }

    /// <summary>Disposes the parameters and their gradients.</summary>
    public void Dispose()
    {
        foreach (var p in Parameters)
        {
            p.ZeroGrad();
            p.Dispose();
        }
    }
}

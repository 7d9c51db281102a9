// GPT2MLP (HF modeling_gpt2.py): c_proj(gelu_new(c_fc(x))).
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Gpt2;

/// <summary>[B,T,C] → c_fc [B,T,I] → gelu_new (tanh approximation) → c_proj [B,T,C]. Conv1D weights.</summary>
public sealed class Gpt2Mlp : IModule, IDisposable
{
    private readonly bool _tanh;

    /// <summary>Loads <c>{prefix}c_fc</c> and <c>c_proj</c>.</summary>
    public Gpt2Mlp(Gpt2Config config, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        _tanh = config.GeluTanh;
        CFc = new LinearSlot(LoadConv1D(ws, "c_fc", config.HiddenSize, config.InnerSize));     // stored [C, I] → W [I, C]
        CProj = new LinearSlot(LoadConv1D(ws, "c_proj", config.InnerSize, config.HiddenSize)); // stored [I, C] → W [C, I]
    }

    /// <summary>c_fc.</summary>
    public LinearSlot CFc { get; }

    /// <summary>c_proj.</summary>
    public LinearSlot CProj { get; }

    /// <summary>The projection slots.</summary>
    public IEnumerable<LinearSlot> Linears => [CFc, CProj];

    /// <summary>x [B, T, C] → [B, T, C]; intermediates belong to the enclosing scope (see <see cref="ForwardScope"/>).</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        var up = CFc.Forward(x, ctx);                         // [B, T, I]
        var act = _tanh ? Ops.GeluTanh(up) : Ops.Gelu(up);    // [B, T, I]
        return CProj.Forward(act, ctx);                       // [B, T, C]
    }

    /// <summary>A Conv1D named <c>{prefix}{name}</c>: stored weight [in, out] and bias [out].</summary>
    internal static Conv1DLinear LoadConv1D(WeightSource ws, string name, int inFeatures, int outFeatures) =>
        new(ws.FullName(name), ws.Get(name + ".weight", inFeatures, outFeatures), ws.Get(name + ".bias", outFeatures));

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => Linears.SelectMany(s => s.Module.NamedParameters());

    /// <summary>Releases the projections.</summary>
    public void Dispose()
    {
        foreach (var s in Linears) s.DisposeModule();
    }
}

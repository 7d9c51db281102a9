// LlamaMLP (HF modeling_llama.py): down_proj(silu(gate_proj(x)) · up_proj(x)).
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Llama;

/// <summary>SwiGLU feed-forward: [B,T,C] → gate/up [B,T,I] → silu(gate)·up → down [B,T,C]; biases when mlp_bias.</summary>
public sealed class LlamaMlp : IModule, IDisposable
{
    /// <summary>Loads <c>{prefix}gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>.</summary>
    public LlamaMlp(LlamaConfig config, WeightSource ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(ws);
        int c = config.HiddenSize, i = config.IntermediateSize;
        GateProj = new LinearSlot(LoadLinear(ws, "gate_proj", i, c, config.MlpBias));   // W [I, C]
        UpProj = new LinearSlot(LoadLinear(ws, "up_proj", i, c, config.MlpBias));       // W [I, C]
        DownProj = new LinearSlot(LoadLinear(ws, "down_proj", c, i, config.MlpBias));   // W [C, I]
    }

    /// <summary>gate_proj.</summary>
    public LinearSlot GateProj { get; }

    /// <summary>up_proj.</summary>
    public LinearSlot UpProj { get; }

    /// <summary>down_proj.</summary>
    public LinearSlot DownProj { get; }

    /// <summary>The three projection slots.</summary>
    public IEnumerable<LinearSlot> Linears => [GateProj, UpProj, DownProj];

    /// <summary>x [B, T, C] → [B, T, C]; intermediates belong to the enclosing scope (see <see cref="ForwardScope"/>).</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        var gate = GateProj.Forward(x, ctx);   // [B, T, I]
        var up = UpProj.Forward(x, ctx);       // [B, T, I]
        var act = Ops.SwiGlu(gate, up);        // [B, T, I]
        return DownProj.Forward(act, ctx);     // [B, T, C]
    }

    /// <summary>A <see cref="Linear"/> named <c>{prefix}{name}</c> with weight [out, in] and, when <paramref name="bias"/>, a bias [out].</summary>
    internal static Linear LoadLinear(WeightSource ws, string name, int outFeatures, int inFeatures, bool bias)
    {
        var w = ws.Get(name + ".weight", outFeatures, inFeatures);
        var b = bias ? ws.Get(name + ".bias", outFeatures) : null;
        return new Linear(ws.FullName(name), w, b);
    }

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => Linears.SelectMany(s => s.Module.NamedParameters());

    /// <summary>Releases the projections.</summary>
    public void Dispose()
    {
        foreach (var s in Linears) s.DisposeModule();
    }
}

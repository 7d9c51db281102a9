// One adapted projection's LoRA factors: ΔW = s·B·A.
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// The LoRA factors of one linear module (HF layout, independent of GPT-2 Conv1D storage): A [r, in], B [out, r] and the
/// scaling s (α/r, or α/√r with rsLoRA), so that ΔW = s·B·A [out, in] and y = W x + b + s·B·A·x.
/// Owns <see cref="A"/> and <see cref="B"/>; unnamed factors are named by their PEFT keys (optimizer state is keyed by name).
/// </summary>
public sealed class LoraModule : IDisposable
{
    /// <summary>Takes ownership of <paramref name="a"/> [r, in] and <paramref name="b"/> [out, r].</summary>
    /// <exception cref="ArgumentException">Shapes are not [r, in] and [out, r] with a common r.</exception>
    public LoraModule(string modulePath, Tensor a, Tensor b, float scaling)
    {
        ArgumentNullException.ThrowIfNull(modulePath);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != 2 || b.Rank != 2 || a.Size(0) != b.Size(1))
        {
            throw new ArgumentException($"{modulePath}: lora_A {a.Shape} and lora_B {b.Shape} must be [r, in] and [out, r] with the same r");
        }
        if (!float.IsFinite(scaling)) throw new ArgumentException($"{modulePath}: scaling {scaling} is not finite");
        ModulePath = modulePath;
        a.Name ??= PeftFormat.KeyA(modulePath);
        b.Name ??= PeftFormat.KeyB(modulePath);
        A = a;
        B = b;
        Scaling = scaling;
    }

    /// <summary>HF dotted module path, e.g. <c>transformer.h.0.attn.c_attn</c>.</summary>
    public string ModulePath { get; }

    /// <summary>A [r, in].</summary>
    public Tensor A { get; }

    /// <summary>B [out, r].</summary>
    public Tensor B { get; }

    /// <summary>s: α/r or α/√r.</summary>
    public float Scaling { get; }

    /// <summary>r.</summary>
    public int Rank => A.Size(0);

    /// <summary>in.</summary>
    public int InFeatures => A.Size(1);

    /// <summary>out.</summary>
    public int OutFeatures => B.Size(0);

    /// <summary>ΔW = s·B·A [out, in] in f32 (caller owns it).</summary>
    public Tensor Delta()
    {
        using var scope = TensorScope.Begin();
        using var a = A.DType == DType.F32 ? A.Detach() : A.To(DType.F32);
        using var b = B.DType == DType.F32 ? B.Detach() : B.To(DType.F32);
        using var ba = Ops.MatMul(b, a);                 // [out, in]
        return TensorScope.Forget(Ops.Mul(ba, Scaling));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}

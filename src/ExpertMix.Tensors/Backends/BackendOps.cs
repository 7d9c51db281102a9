// The typed op kinds that cross the backend seam (element-wise maps, softmax flavours, reductions).
namespace ExpertMix.Tensors;

/// <summary>An element-wise unary map y = f(x) run by <see cref="IBackend.Unary"/>.</summary>
public enum UnaryOp
{
    /// <summary>−x.</summary>
    Neg,

    /// <summary>|x|.</summary>
    Abs,

    /// <summary>x².</summary>
    Square,

    /// <summary>√x (NaN for x &lt; 0).</summary>
    Sqrt,

    /// <summary>1/√x.</summary>
    Rsqrt,

    /// <summary>eˣ.</summary>
    Exp,

    /// <summary>ln x.</summary>
    Log,

    /// <summary>Exact GELU x·Φ(x).</summary>
    Gelu,

    /// <summary>Tanh-approximated GELU.</summary>
    GeluTanh,

    /// <summary>1/(1+e⁻ˣ).</summary>
    Sigmoid,

    /// <summary>x·σ(x).</summary>
    Silu,

    /// <summary>tanh x.</summary>
    Tanh,

    /// <summary>max(x, 0).</summary>
    Relu,
}

/// <summary>An element-wise binary map y = f(a, b) run by <see cref="IBackend.Binary"/> and its scalar forms.</summary>
public enum BinaryOp
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Sub,

    /// <summary>a · b.</summary>
    Mul,

    /// <summary>a / b.</summary>
    Div,

    /// <summary>max(a, b) (NaN propagates).</summary>
    Max,

    /// <summary>min(a, b) (NaN propagates).</summary>
    Min,

    /// <summary>silu(a) · b (SwiGLU with gate a, up b).</summary>
    SwiGlu,

    /// <summary>b · GELU′(a) (a = input, b = upstream gradient).</summary>
    GeluGrad,

    /// <summary>b · GELU-tanh′(a) (a = input, b = upstream gradient).</summary>
    GeluTanhGrad,

    /// <summary>b · y(1 − y) (a = sigmoid output y).</summary>
    SigmoidGrad,

    /// <summary>b · SiLU′(a) (a = input).</summary>
    SiluGrad,

    /// <summary>b · (1 − y²) (a = tanh output y).</summary>
    TanhGrad,

    /// <summary>b where a &gt; 0, else 0 (a = input).</summary>
    ReluGrad,
}

/// <summary>Which softmax over the last dimension <see cref="IBackend.Softmax"/> computes.</summary>
public enum SoftmaxKind
{
    /// <summary>yᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x).</summary>
    Softmax,

    /// <summary>yᵢ = (xᵢ − max x) − log Σⱼ exp(xⱼ − max x).</summary>
    LogSoftmax,
}

/// <summary>Which extreme <see cref="IBackend.ArgReduce"/> finds.</summary>
public enum ArgReduceOp
{
    /// <summary>The largest value and its first index.</summary>
    Max,

    /// <summary>The smallest value and its first index.</summary>
    Min,
}

/// <summary>Which positions a query may attend to in <see cref="IBackend.Attention"/>.</summary>
public enum AttentionCausality
{
    /// <summary>Every key position (only the additive mask, if any, restricts).</summary>
    Full,

    /// <summary>Query i (of T) sees key j (of S) only when j ≤ i + S − T (bottom-right aligned, as with a KV cache).</summary>
    Causal,
}

/// <summary>Which end of the order <see cref="IBackend.TopK"/> keeps.</summary>
public enum TopKOrder
{
    /// <summary>The k largest, in descending order.</summary>
    Largest,

    /// <summary>The k smallest, in ascending order.</summary>
    Smallest,
}

/// <summary>How <see cref="IBackend.Scatter"/> writes into its destination.</summary>
public enum ScatterMode
{
    /// <summary>dst[o] = src (later writes win).</summary>
    Assign,

    /// <summary>dst[o] += src, in source order (deterministic).</summary>
    Add,
}

// Per-parameter AdamW state: step count and the moment buffers (lazily created on the first step, as in torch).
namespace ExpertMix.Tensors.Optim;

/// <summary>The AdamW state of one parameter. Buffers are contiguous F32 tensors owned by the optimizer.</summary>
internal sealed class ParameterState : IDisposable
{
    public ParameterState(Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, long step)
    {
        ExpAvg = expAvg;
        ExpAvgSq = expAvgSq;
        MaxExpAvgSq = maxExpAvgSq;
        Step = step;
    }

    /// <summary>Number of updates applied to this parameter (torch's per-parameter <c>state['step']</c>).</summary>
    public long Step { get; set; }

    /// <summary>m, the first-moment running average.</summary>
    public Tensor ExpAvg { get; }

    /// <summary>v, the second-moment running average.</summary>
    public Tensor ExpAvgSq { get; }

    /// <summary>max over time of v (amsgrad only).</summary>
    public Tensor? MaxExpAvgSq { get; }

    public void Dispose()
    {
        ExpAvg.Dispose();
        ExpAvgSq.Dispose();
        MaxExpAvgSq?.Dispose();
    }
}

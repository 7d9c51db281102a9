// Who frees a forward's intermediates: a TensorScope per stage at inference, the caller's step scope when training.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// Module code does not dispose its intermediates, because a recorded backward rule may still need their values.
/// Instead the model runs each stage (embedding, one layer, the head) through <see cref="Run"/>: when no graph is
/// being recorded the stage runs inside its own <see cref="TensorScope"/>, so everything it created except its
/// result is freed at once (memory stays at one layer's worth); when a graph is recorded nothing is freed early
/// and the training step's own scope (or the GC) reclaims the intermediates after backward.
/// </summary>
public static class ForwardScope
{
    /// <summary>
    /// True when this forward records a graph whose backward may read intermediates: grad mode is on and either
    /// <c>ctx.Mode</c> is <see cref="ForwardMode.Train"/> or a parameter of <paramref name="module"/> requires grad.
    /// (Pass Train when gradients must reach tensors outside the model, e.g. X-LoRA scalings.)
    /// </summary>
    public static bool KeepsGraph(ForwardContext ctx, IModule module)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(module);
        if (!Autograd.IsEnabled) return false;
        if (ctx.Mode == ForwardMode.Train) return true;
        foreach (var (_, p) in module.NamedParameters())
        {
            if (p.RequiresGrad) return true;
        }
        return false;
    }

    /// <summary>Runs <paramref name="stage"/>; unless <paramref name="keepGraph"/>, inside a scope that frees everything but the result (which moves to the enclosing scope).</summary>
    public static Tensor Run(bool keepGraph, Func<Tensor> stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (keepGraph) return stage();
        using var scope = TensorScope.Begin();
        var y = stage();
        return scope.Keep(y);
    }

    /// <summary>Disposes <paramref name="t"/> unless a graph is kept (then the step scope or the GC frees it).</summary>
    public static void Release(bool keepGraph, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (!keepGraph) t.Dispose();
    }
}

// Train/eval mode of one forward call.
namespace ExpertMix.Nn;

/// <summary>Whether a forward runs for inference or for training (dropout and similar behave differently).</summary>
public enum ForwardMode
{
    /// <summary>Inference: deterministic, no dropout.</summary>
    Eval,

    /// <summary>Training.</summary>
    Train,
}

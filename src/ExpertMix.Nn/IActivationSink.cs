// Receiver of named activations tapped during a forward (layer-by-layer diffs against PyTorch).
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>Receives activations that model code names with <see cref="ForwardContext.Tap"/>.</summary>
public interface IActivationSink
{
    /// <summary>
    /// Called with activation <paramref name="name"/> of layer <paramref name="layer"/> (−1 outside the layer stack).
    /// The tensor belongs to the model and may be disposed after the call returns: copy it to keep it.
    /// </summary>
    void OnActivation(string name, int layer, Tensor value);
}

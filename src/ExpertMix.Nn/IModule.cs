// A module that enumerates its parameters explicitly (no reflection), each under its full HF dotted name.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>A neural-network module: a set of named parameter tensors (owned by the module).</summary>
public interface IModule
{
    /// <summary>
    /// Every parameter of this module and its children, in a fixed order, under its full dotted checkpoint name
    /// (e.g. <c>model.layers.0.self_attn.q_proj.weight</c>). The tensors are the module's own (do not dispose them);
    /// a tied parameter is listed once, under the name of its owner.
    /// </summary>
    IEnumerable<(string Path, Tensor Param)> NamedParameters();
}

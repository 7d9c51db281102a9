// One recorded operation of the autograd tape: its inputs and the rule that maps the output gradient to input gradients.
namespace ExpertMix.Tensors;

/// <summary>Maps dL/d(output) to dL/d(input_i) for every input (null where an input needs no gradient).</summary>
public delegate Tensor?[] BackwardRule(Tensor gradOutput);

/// <summary>
/// A node of the reverse-mode tape. Created by an op when grad mode is on and an input requires grad; attached to
/// the op's output as <see cref="Tensor.GradFn"/>. The rule runs under no-grad (no double backward).
/// </summary>
public sealed class GradNode
{
    /// <summary>Creates a node.</summary>
    public GradNode(string opName, Tensor[] inputs, BackwardRule rule)
    {
        OpName = opName;
        Inputs = inputs;
        Rule = rule;
    }

    /// <summary>Name of the op that produced the output ("MatMul", "Softmax", …).</summary>
    public string OpName { get; }

    /// <summary>The op's tensor inputs, in the order the rule returns gradients.</summary>
    public Tensor[] Inputs { get; private set; }

    /// <summary>The backward rule.</summary>
    public BackwardRule Rule { get; private set; }

    /// <summary>Drops references to inputs and saved tensors (after backward without retain-graph).</summary>
    internal void Release()
    {
        Inputs = [];
        Rule = static _ => throw new InvalidOperationException("backward through a graph that was already freed; pass retainGraph: true to the first Backward");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{OpName}Backward";
}

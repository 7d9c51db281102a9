// A named set of parameters sharing AdamW hyper-parameters (torch's param_groups), e.g. "decay" / "no_decay".
namespace ExpertMix.Tensors.Optim;

/// <summary>
/// Parameters that share one <see cref="AdamWOptions"/> (torch's <c>param_groups</c> entry). Typical use: one group
/// with weight decay for matrices and one with <c>WeightDecay = 0</c> for norms and biases. Every parameter must be
/// an F32 contiguous leaf with a unique, non-empty <see cref="Tensor.Name"/> (the key of its optimizer state).
/// </summary>
public sealed class ParameterGroup
{
    /// <summary>Creates a group; the learning rate starts at <see cref="AdamWOptions.LearningRate"/>.</summary>
    /// <exception cref="ArgumentException">A parameter is null or has no name.</exception>
    public ParameterGroup(string name, IEnumerable<Tensor> parameters, AdamWOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = name;
        Options = options;
        Parameters = parameters.ToArray();
        foreach (var p in Parameters)
        {
            if (p is null) throw new ArgumentException($"parameter group '{name}' contains a null parameter", nameof(parameters));
            if (string.IsNullOrEmpty(p.Name)) throw new ArgumentException($"parameter group '{name}': parameter {p.Describe()} has no Name; optimizer state is keyed by parameter name", nameof(parameters));
        }
        LearningRate = options.LearningRate;
    }

    /// <summary>Group name (used in state metadata).</summary>
    public string Name { get; }

    /// <summary>The group's hyper-parameters; <see cref="AdamWOptions.LearningRate"/> is the initial (base) rate.</summary>
    public AdamWOptions Options { get; }

    /// <summary>The parameters, in order.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The learning rate used by the next step (set by a schedule; starts at the base rate).</summary>
    public double LearningRate { get; set; }
}

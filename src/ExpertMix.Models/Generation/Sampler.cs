// Next-token selection: HF-order logits processing (repetition penalty, temperature, top-k, top-p, min-p), then argmax or a seeded multinomial draw.
using ExpertMix.Tensors;

namespace ExpertMix.Models.Generation;

/// <summary>
/// Picks the next token from one row of logits [V], in Hugging Face transformers' order and semantics
/// (<c>_get_logits_processor</c>): <list type="number">
/// <item>repetition penalty θ over the distinct ids of the history (prompt included): x → x / θ if x &gt; 0 else x · θ;</item>
/// <item>temperature τ: x → x / τ (sampling only);</item>
/// <item>top-k: drop x &lt; the k-th largest value (ties kept);</item>
/// <item>top-p: sort ascending, drop tokens whose cumulative probability is ≤ 1 − p, always keep the most probable;
/// equivalently, walking from the most probable token, drop a token once the mass of the tokens before it is ≥ p;</item>
/// <item>min-p: drop tokens with probability &lt; minP · max probability;</item>
/// <item>greedy (τ = 0): argmax of the penalised logits, ties → the lowest id (torch.argmax); otherwise a multinomial
/// draw from softmax of the survivors with the seeded xoshiro <see cref="Rng"/> (one <see cref="Rng.NextDouble"/> per token).</item>
/// </list>
/// Dropped tokens become −∞. Work buffers of size V are allocated once and reused; top-k uses a size-k heap
/// (O(V log k)), top-p a lazily popped max-heap over the survivors (O(V + n log V) for a nucleus of n tokens), so no
/// full sort of the vocabulary happens. Not thread-safe: use one sampler per sequence.
/// </summary>
internal sealed partial class Sampler
{
    private readonly Rng _rng;
    private float[] _scores = [];
    private int[] _candidates = [];
    private int[] _heap = [];
    private float[] _kth = [];
    private float[] _weights = [];
    private readonly double[] _bucketMass = new double[TopPBuckets];
    private int _count;

    /// <summary>Score ranges used to prune the top-p candidates before ordering them.</summary>
    private const int TopPBuckets = 1024;

    /// <summary>Creates a sampler for <paramref name="options"/>; <paramref name="rng"/> overrides the generator seeded from <see cref="GenerationOptions.Seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (see <see cref="GenerationOptions.Validate"/>).</exception>
    /// <exception cref="ArgumentException">Options are inconsistent (see <see cref="GenerationOptions.Validate"/>).</exception>
    public Sampler(GenerationOptions options, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _rng = rng ?? new Rng(options.Seed ?? (ulong)System.Random.Shared.NextInt64());
    }

    /// <summary>
    /// One sampler per row of a batch: row b draws from its own generator seeded with seed + b (wrapping), so row 0
    /// reproduces an unbatched run with the same seed and a row's tokens do not depend on the other rows. Without a
    /// seed, one random base seed is drawn.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">batchSize &lt; 1, or an option is out of range.</exception>
    /// <exception cref="ArgumentException">Options are inconsistent.</exception>
    public static Sampler[] ForBatch(GenerationOptions options, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ulong seed = options.Seed ?? (ulong)System.Random.Shared.NextInt64();
        var samplers = new Sampler[batchSize];
        for (int b = 0; b < batchSize; b++) samplers[b] = new Sampler(options, new Rng(unchecked(seed + (ulong)b)));
        return samplers;
    }

    /// <summary>The validated options.</summary>
    public GenerationOptions Options { get; }

    /// <summary>
    /// The next token id for <paramref name="logits"/> [V] given every id so far (<paramref name="history"/>: prompt and
    /// generated tokens; only the repetition penalty reads it).
    /// </summary>
    /// <exception cref="ArgumentException">logits is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A history id is outside [0, V).</exception>
    /// <exception cref="InvalidOperationException">A logit is NaN or +∞, or every logit is −∞.</exception>
    public int Sample(ReadOnlySpan<float> logits, IReadOnlyList<int> history)
    {
        Process(logits, history);
        return Options.IsGreedy ? ArgMax(_scores.AsSpan(0, logits.Length)) : Draw();
    }

    /// <summary>
    /// Writes the processed logits [V] that <see cref="Sample"/> would draw from into <paramref name="destination"/>:
    /// the penalised logits when greedy, otherwise the penalised, temperature-scaled and filtered logits (−∞ where dropped).
    /// Matches transformers' <c>LogitsProcessorList</c> output for the same options.
    /// </summary>
    /// <exception cref="ArgumentException">logits is empty or destination's length differs from logits'.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A history id is outside [0, V).</exception>
    /// <exception cref="InvalidOperationException">A logit is NaN or +∞, or every logit is −∞.</exception>
    public void ProcessLogits(ReadOnlySpan<float> logits, IReadOnlyList<int> history, Span<float> destination)
    {
        if (destination.Length != logits.Length) throw new ArgumentException($"Sampler.ProcessLogits: destination has {destination.Length} elements, logits {logits.Length}", nameof(destination));
        Process(logits, history);
        _scores.AsSpan(0, logits.Length).CopyTo(destination);
    }

    /// <summary>argmax with ties resolved to the lowest index (torch.argmax), over a row with no NaN.</summary>
    /// <exception cref="InvalidOperationException">Every value is −∞ or the row is empty.</exception>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < scores.Length; i++)
        {
            if (scores[i] > bestValue)
            {
                bestValue = scores[i];
                best = i;
            }
        }
        return best >= 0 ? best : throw new InvalidOperationException($"Sampler: all {scores.Length} logits are −∞; there is no token to pick");
    }

    private void Process(ReadOnlySpan<float> logits, IReadOnlyList<int> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        int v = logits.Length;
        if (v == 0) throw new ArgumentException("Sampler: logits are empty (vocabulary size 0)", nameof(logits));
        EnsureBuffers(v);
        var scores = _scores.AsSpan(0, v);
        for (int i = 0; i < v; i++)
        {
            float x = logits[i];
            if (float.IsNaN(x) || float.IsPositiveInfinity(x)) throw new InvalidOperationException($"Sampler: logits[{i}] = {x}; the model produced invalid scores");
            scores[i] = x;
        }
        ApplyRepetitionPenalty(logits, history, scores, Options.RepetitionPenalty);
        if (Options.IsGreedy) return;

        if (Options.Temperature != 1f)
        {
            float t = Options.Temperature;
            for (int i = 0; i < v; i++) scores[i] /= t;
        }
        _count = 0;
        for (int i = 0; i < v; i++)
        {
            if (scores[i] != float.NegativeInfinity) _candidates[_count++] = i;
        }
        if (_count == 0) throw new InvalidOperationException($"Sampler: all {v} logits are −∞; there is no token to sample");
        if (Options.TopK > 0 && Options.TopK < _count) ApplyTopK(Options.TopK);
        if (Options.TopP < 1f && _count > 1) ApplyTopP(Options.TopP);
        if (Options.MinP > 0f && _count > 1) ApplyMinP(Options.MinP);
    }

    private static void ApplyRepetitionPenalty(ReadOnlySpan<float> logits, IReadOnlyList<int> history, Span<float> scores, float penalty)
    {
        if (penalty == 1f) return;
        for (int j = 0; j < history.Count; j++)
        {
            int id = history[j];
            if ((uint)id >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(history), id, $"Sampler: history[{j}] = {id} is outside the vocabulary [0, {logits.Length})");
            float x = logits[id]; // read the raw logit so repeated ids are penalised once (HF gathers before scattering)
            scores[id] = x < 0f ? x * penalty : x / penalty;
        }
    }

    private int Draw()
    {
        var scores = _scores;
        float max = float.NegativeInfinity;
        for (int j = 0; j < _count; j++) max = MathF.Max(max, scores[_candidates[j]]);
        double total = Weights(max);
        var w = _weights;
        double u = _rng.NextDouble() * total;
        double acc = 0;
        for (int j = 0; j < _count; j++)
        {
            acc += w[_candidates[j]];
            if (acc > u) return _candidates[j];
        }
        return _candidates[_count - 1]; // u fell in the rounding gap at the very end
    }

    /// <summary>Sets weights[id] = exp(scores[id] − max) (f32) for every candidate id and returns their sum (f64).</summary>
    private double Weights(float max)
    {
        var scores = _scores;
        var w = _weights;
        double total = 0;
        for (int j = 0; j < _count; j++)
        {
            int id = _candidates[j];
            float e = MathF.Exp(scores[id] - max);
            w[id] = e;
            total += e;
        }
        return total;
    }

    private void EnsureBuffers(int v)
    {
        if (_scores.Length >= v) return;
        _scores = new float[v];
        _candidates = new int[v];
        _heap = new int[v];
        _weights = new float[v];
    }
}

// Spec §8.4: a hand-computed 3×3 TIES example in PEFT's and mergekit's conventions, which differ where weights differ.
using ExpertMix.Adapters.Merging;
using static ExpertMix.Adapters.Tests.MergingFixtures;

namespace ExpertMix.Adapters.Tests;

public class MergingTiesTests
{
    // Three 3×3 task tensors (flattened) and weights w = (1, 3, 1); density 1 (no pruning).
    private static readonly float[] X1 = [1, 2, -1, 0, 0, -2, 3, -1, 2];
    private static readonly float[] X2 = [-1, 1, -1, 2, 0, 1, -1, 1, 0.5f];
    private static readonly float[] X3 = [1, -1, -1, -1, 0, 1, 0, -1, -4];
    private static readonly double[] W = [1, 3, 1];

    // PEFT (total): elect sgn Σ X_i (unweighted), average the agreeing weighted entries by their COUNT.
    //  e0 (1,-1,1): Σ=1 → +, {X1,X3}: (1+1)/2 = 1        e1 (2,1,-1): + , {X1,X2}: (2+3)/2 = 2.5
    //  e2 (-1,-1,-1): −, all: (-1-3-1)/3 = -5/3           e3 (0,2,-1): Σ=1 → +, {X2} (0 never agrees): 6/1 = 6
    //  e4 zeros: 0                                         e5 (-2,1,1): Σ=0 → +, {X2,X3}: (3+1)/2 = 2
    //  e6 (3,-1,0): +, {X1}: 3                             e7 (-1,1,-1): Σ=-1 → −, {X1,X3}: (-1-1)/2 = -1
    //  e8 (2,.5,-4): Σ=-1.5 → −, {X3}: -4
    private static readonly double[] PeftTotal = [1, 2.5, -5.0 / 3, 6, 0, 2, 3, -1, -4];

    // PEFT (frequency): elect sgn Σ sgn X_i; only e8 changes: signs (+,+,−) → +, {X1,X2}: (2 + 3·0.5)/2 = 1.75
    private static readonly double[] PeftFrequency = [1, 2.5, -5.0 / 3, 6, 0, 2, 3, -1, 1.75];

    // mergekit: elect sgn Σ w_i X_i (weighted), divide by the agreeing WEIGHT sum Σ w_i mask_i.
    //  e0 (1,-3,1): Σ=-1 → −, {X2}: -3/3 = -1              e1 (2,3,-1): +, {X1,X2}: 5/(1+3) = 1.25
    //  e2 (-1,-3,-1): −, all: -5/5 = -1                     e3 (0,6,-1): +, {X2}: 6/3 = 2
    //  e4: 0 (divisor 0 → 1)                                e5 (-2,3,1): +, {X2,X3}: 4/4 = 1
    //  e6 (3,-3,0): Σ=0 → +, {X1}: 3/1 = 3                  e7 (-1,3,-1): Σ=1 → +, {X2}: 3/3 = 1
    //  e8 (2,1.5,-4): Σ=-0.5 → −, {X3}: -4/1 = -4
    private static readonly double[] Mergekit = [-1, 1.25, -1, 2, 0, 1, 3, 1, -4];

    [Fact]
    public void Peft_ties_matches_the_hand_computed_example()
    {
        Close(PeftTotal, PeftMergeFunctions.Ties([X1, X2, X3], W, 1, SignElection.Total));
        Close(PeftFrequency, PeftMergeFunctions.Ties([X1, X2, X3], W, 1, SignElection.Frequency));
    }

    [Fact]
    public void Mergekit_ties_matches_the_hand_computed_example_and_differs_from_peft_where_weights_matter()
    {
        var mk = MergekitFunctions.Combine([X1, X2, X3], W, ConsensusMethod.Sum, NormalizeMode.SumOfWeights, 1);
        Close(Mergekit, mk);
        var peft = PeftMergeFunctions.Ties([X1, X2, X3], W, 1, SignElection.Total);
        int[] differ = [0, 1, 2, 3, 5, 7];
        foreach (int e in differ) Assert.NotEqual(peft[e], mk[e], 3);
        foreach (int e in new[] { 4, 6, 8 }) Assert.Equal(peft[e], mk[e], 5);
        // with unit weights the two conventions coincide (weighted = unweighted election, weight sum = count)
        var eq = MergekitFunctions.Combine([X1, X2, X3], [1, 1, 1], ConsensusMethod.Sum, NormalizeMode.SumOfWeights, 1);
        Close(PeftMergeFunctions.Ties([X1, X2, X3], [1, 1, 1], 1, SignElection.Total).Select(v => (double)v).ToArray(), eq);
    }

    [Fact]
    public void The_same_example_through_the_merger_on_adapters()
    {
        // ΔW_i = X_i as B = X_i [3,3], A = I [3,3], s = 1 (alpha = r = 3)
        float[] id = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        const string Path = "transformer.h.0.attn.c_proj";
        using var a1 = FromFactors("a1", Path, id, 3, 3, X1, 3, 3);
        using var a2 = FromFactors("a2", Path, id, 3, 3, X2, 3, 3);
        using var a3 = FromFactors("a3", Path, id, 3, 3, X3, 3, 3);
        MergeInput[] inputs = [new(a1, 1f), new(a2, 3f), new(a3, 1f)];
        using var mk = LoraMerger.Merge(inputs, MergeMethod.Ties);
        Close(Mergekit, DeltaOf(mk, Path));
        using var peft = LoraMerger.Merge(inputs, MergeMethod.PeftTiesSvd, new MergeOptions { SvdRank = 3 });
        Close(PeftTotal, DeltaOf(peft, Path), 1e-5);
        using var freq = LoraMerger.Merge(inputs, MergeMethod.PeftTiesSvd, new MergeOptions { SvdRank = 3, SignElection = SignElection.Frequency });
        Close(PeftFrequency, DeltaOf(freq, Path), 1e-5);
    }

    [Fact]
    public void Magnitude_pruning_keeps_the_top_floor_density_n_entries()
    {
        float[] x = [5, -1, 3, -4, 2];
        var pruned = PeftMergeFunctions.MagnitudePrune([x], [1], 0.6); // ⌊0.6·5⌋ = 3: keep 5, -4, 3
        Close([5, 0, 3, -4, 0], pruned);
        var ties = PeftMergeFunctions.Ties([x, x.Select(v => -v).ToArray()], [1, 1], 0.4, SignElection.Total); // keep 5, -4 in each
        // pruned: (5,0,0,-4,0) and (-5,0,0,4,0); sums are 0 → + elected: only the positive entries agree
        Close([5, 0, 0, 4, 0], ties);
        Assert.All(PeftMergeFunctions.MagnitudePrune([x], [1], 0.1), v => Assert.Equal(0f, v)); // ⌊0.5⌋ = 0 kept
    }

    private static void Close(double[] expected, float[] actual, double tol = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"entry {i}: expected {expected[i]}, got {actual[i]}");
    }
}

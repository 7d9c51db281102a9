// Orthogonality of LoRA adapters (docs §5): Gram-trace cosines of effective deltas, aggregates, subspace angles, activations.
using System.Numerics.Tensors;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using Tensor = ExpertMix.Tensors.Tensor;

namespace ExpertMix.Adapters.Analysis;

/// <summary>
/// Pairwise orthogonality of LoRA adapters on their effective deltas w·ΔW = w·s·B·A, computed from r_i×r_j Grams
/// (⟨B_iA_i, B_jA_j⟩_F = tr((B_iᵀB_j)(A_jA_iᵀ)), O((out+in)·r_i·r_j) per module) without forming any ΔW.
/// Scalings cancel in cosines; a negative weight flips their sign.
/// </summary>
public static class Orthogonality
{
    /// <summary>Compares two adapters (weights 1).</summary>
    public static PairOrthogonality Compare(LoraAdapter a, LoraAdapter b, IReadOnlyDictionary<string, Tensor>? probes = null)
        => Compare(new MergeInput(a, 1), new MergeInput(b, 1), probes);

    /// <summary>
    /// Compares two weighted adapters over the modules both target. <paramref name="probes"/> maps a module path to
    /// probe inputs X [n, in] for the activation overlap.
    /// </summary>
    /// <exception cref="ArgumentException">The adapters share no module, disagree on a module's shape, or a probe is not [n, in].</exception>
    public static PairOrthogonality Compare(MergeInput a, MergeInput b, IReadOnlyDictionary<string, Tensor>? probes = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var probeCache = new Dictionary<string, double[]>(StringComparer.Ordinal);
        return ComparePrepared(Prepare(a), Prepare(b), probes, probeCache);
    }

    /// <summary>All pairs of <paramref name="inputs"/> (the diagonal is each adapter against itself).</summary>
    public static OrthogonalityMatrix Pairwise(IReadOnlyList<MergeInput> inputs, IReadOnlyDictionary<string, Tensor>? probes = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("orthogonality needs at least one adapter");
        var prepared = inputs.Select(Prepare).ToArray();
        var probeCache = new Dictionary<string, double[]>(StringComparer.Ordinal);
        int n = inputs.Count;
        var pairs = new PairOrthogonality[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                var p = ComparePrepared(prepared[i], prepared[j], probes, probeCache);
                pairs[i, j] = p;
                pairs[j, i] = i == j ? p : p with { AdapterI = p.AdapterJ, AdapterJ = p.AdapterI };
            }
        }
        return new OrthogonalityMatrix(inputs.Select(x => x.Adapter.Name).ToArray(), pairs);
    }

    /// <summary>E|cos| of two independent random m×n matrices: √(2/π)/√(mn).</summary>
    public static double RandomFloor(int outFeatures, int inFeatures) => Math.Sqrt(2 / Math.PI) / Math.Sqrt((double)outFeatures * inFeatures);

    // ---- internals ---------------------------------------------------------------------------------------------

    private sealed class Factors
    {
        public required string Name { get; init; }
        public required double Weight { get; init; }
        public required Dictionary<string, ModuleData> Modules { get; init; }
    }

    private sealed class ModuleData
    {
        public required LoraModule Module { get; init; }
        public required FactorTerm Term { get; init; } // coef 1: B·A in f64
        public required double NormSq { get; init; }   // ‖B·A‖² (unscaled)
        private double[][]? _colBasis, _rowBasis;

        public double[][] ColBasis => _colBasis ??= Basis(Term.Pt, Term.Rank, Module.OutFeatures);
        public double[][] RowBasis => _rowBasis ??= Basis(Term.Q, Term.Rank, Module.InFeatures);

        private static double[][] Basis(double[] rows, int r, int len)
        {
            var cols = Enumerable.Range(0, r).Select(j => rows.AsSpan(j * len, len).ToArray()).ToArray();
            return TruncatedSvd.HouseholderQr(cols, len).Q;
        }
    }

    private static Factors Prepare(MergeInput input)
    {
        ArgumentNullException.ThrowIfNull(input?.Adapter);
        var modules = new Dictionary<string, ModuleData>(StringComparer.Ordinal);
        foreach (var (path, m) in input.Adapter.Modules)
        {
            var term = FactorTerm.FromLora(1, m.B.ToArray(), m.A.ToArray(), m.Rank, m.OutFeatures, m.InFeatures);
            modules[path] = new ModuleData { Module = m, Term = term, NormSq = DenseKernels.Inner(term, term, m.OutFeatures, m.InFeatures) };
        }
        return new Factors { Name = input.Adapter.Name, Weight = input.Weight, Modules = modules };
    }

    private static PairOrthogonality ComparePrepared(Factors fi, Factors fj, IReadOnlyDictionary<string, Tensor>? probes, Dictionary<string, double[]> probeCache)
    {
        var common = fi.Modules.Keys.Where(fj.Modules.ContainsKey).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        if (common.Length == 0) throw new ArgumentException($"adapters '{fi.Name}' and '{fj.Name}' target no common module");
        double sign = Math.Sign(fi.Weight) * Math.Sign(fj.Weight);
        var rows = new List<ModuleOrthogonality>(common.Length);
        double sumInner = 0, sumNi = 0, sumNj = 0, sumCos2 = 0, sumCos = 0, sumFloor2 = 0, sumColOv = 0, sumRowOv = 0;
        double rawDot = 0, rawNi = 0, rawNj = 0, actSum2 = 0;
        bool rawOk = true;
        int actCount = 0;
        foreach (var path in common)
        {
            var mi = fi.Modules[path];
            var mj = fj.Modules[path];
            int outF = mi.Module.OutFeatures, inF = mi.Module.InFeatures;
            if (mj.Module.OutFeatures != outF || mj.Module.InFeatures != inF)
            {
                throw new ArgumentException($"module {path}: '{fi.Name}' has ΔW [{outF}, {inF}] but '{fj.Name}' has [{mj.Module.OutFeatures}, {mj.Module.InFeatures}]");
            }
            double si = mi.Module.Scaling, sj = mj.Module.Scaling;
            double raw = DenseKernels.Inner(mi.Term, mj.Term, outF, inF); // ⟨B_iA_i, B_jA_j⟩
            double inner = fi.Weight * fj.Weight * si * sj * raw;
            double ni = Math.Abs(si) * Math.Sqrt(mi.NormSq), nj = Math.Abs(sj) * Math.Sqrt(mj.NormSq);
            double cos = ni > 0 && nj > 0 ? Math.Clamp(sign * Math.Sign(si * sj) * raw / Math.Sqrt(mi.NormSq * mj.NormSq), -1, 1) : 0;
            double floor = RandomFloor(outF, inF);
            double colOv = Overlap(mi.ColBasis, mj.ColBasis, out double maxCol);
            double rowOv = Overlap(mi.RowBasis, mj.RowBasis, out double maxRow);
            double? rawCos = null;
            if (mi.Module.Rank == mj.Module.Rank)
            {
                var (d, a2, b2) = RawDot(mi.Module, mj.Module);
                rawDot += d;
                rawNi += a2;
                rawNj += b2;
                rawCos = a2 > 0 && b2 > 0 ? d / Math.Sqrt(a2 * b2) : 0;
            }
            else
            {
                rawOk = false;
            }
            double? act = null;
            if (probes is not null && probes.TryGetValue(path, out var x))
            {
                act = sign * Math.Sign(si * sj) * ActivationCosine(path, x, mi, mj, probeCache);
                actSum2 += act.Value * act.Value;
                actCount++;
            }
            rows.Add(new ModuleOrthogonality(path, outF, inF, inner, ni, nj, cos, rawCos, colOv, rowOv, maxCol, maxRow, act, floor));
            sumInner += inner;
            sumNi += fi.Weight * fi.Weight * ni * ni;
            sumNj += fj.Weight * fj.Weight * nj * nj;
            sumCos2 += cos * cos;
            sumCos += cos;
            sumFloor2 += floor * floor;
            sumColOv += colOv;
            sumRowOv += rowOv;
        }
        int l = common.Length;
        double global = sumNi > 0 && sumNj > 0 ? Math.Clamp(sumInner / Math.Sqrt(sumNi * sumNj), -1, 1) : 0;
        double? rawGlobal = rawOk && rawNi > 0 && rawNj > 0 ? rawDot / Math.Sqrt(rawNi * rawNj) : rawOk ? 0 : null;
        return new PairOrthogonality(fi.Name, fj.Name, l, Math.Min(Math.Sqrt(sumCos2 / l), 1), global, sumCos / l, rawGlobal,
            sumColOv / l, sumRowOv / l, actCount > 0 ? Math.Sqrt(actSum2 / actCount) : null, Math.Sqrt(sumFloor2 / l), rows);
    }

    // ‖Q_iᵀQ_j‖_F² / min(r_i, r_j) and the largest singular value of Q_iᵀQ_j (the cosine of the smallest principal angle).
    private static double Overlap(double[][] qi, double[][] qj, out double maxCosine)
    {
        int ri = qi.Length, rj = qj.Length;
        if (ri == 0 || rj == 0)
        {
            maxCosine = 0;
            return 0;
        }
        var cols = new double[rj][];
        double fro = 0;
        for (int b = 0; b < rj; b++)
        {
            cols[b] = new double[ri];
            for (int a = 0; a < ri; a++)
            {
                double v = TensorPrimitives.Dot<double>(qi[a], qj[b]);
                cols[b][a] = v;
                fro += v * v;
            }
        }
        maxCosine = Math.Min(TruncatedSvd.JacobiSvd(cols, ri).Sigma[0], 1);
        return fro / Math.Min(ri, rj);
    }

    private static (double Dot, double NormI, double NormJ) RawDot(LoraModule a, LoraModule b)
    {
        double d = 0, na = 0, nb = 0;
        foreach (var (x, y) in new[] { (a.A.ToArray(), b.A.ToArray()), (a.B.ToArray(), b.B.ToArray()) })
        {
            for (int k = 0; k < x.Length; k++)
            {
                d += (double)x[k] * y[k];
                na += (double)x[k] * x[k];
                nb += (double)y[k] * y[k];
            }
        }
        return (d, na, nb);
    }

    // cos between Y_i = X A_iᵀ B_iᵀ and Y_j (scalings cancel): Σ (B_iᵀB_j) ⊙ (Z_iᵀZ_j) with Z = X Aᵀ [n, r].
    private static double ActivationCosine(string path, Tensor x, ModuleData mi, ModuleData mj, Dictionary<string, double[]> cache)
    {
        int inF = mi.Module.InFeatures, outF = mi.Module.OutFeatures;
        if (x.Rank != 2 || x.Size(1) != inF) throw new ArgumentException($"probe inputs for {path} are {x.Shape}; expected [n, {inF}]");
        if (!cache.TryGetValue(path, out var xd))
        {
            xd = DenseKernels.ToDouble(x.ToArray());
            cache[path] = xd;
        }
        int n = x.Size(0);
        var zi = ZT(xd, n, mi.Term, inF);
        var zj = ZT(xd, n, mj.Term, inF);
        double Pair(double[] za, FactorTerm ta, double[] zb, FactorTerm tb)
            => TensorPrimitives.Dot<double>(DenseKernels.CrossGram(ta.Pt, ta.Rank, tb.Pt, tb.Rank, outF), DenseKernels.CrossGram(za, ta.Rank, zb, tb.Rank, n));
        double ij = Pair(zi, mi.Term, zj, mj.Term), ii = Pair(zi, mi.Term, zi, mi.Term), jj = Pair(zj, mj.Term, zj, mj.Term);
        return ii > 0 && jj > 0 ? Math.Clamp(ij / Math.Sqrt(ii * jj), -1, 1) : 0;
    }

    // Zᵀ [r, n] with Z = X Aᵀ (row a of Zᵀ = X · A_a).
    private static double[] ZT(double[] x, int n, FactorTerm t, int inF)
    {
        var z = new double[t.Rank * n];
        for (int a = 0; a < t.Rank; a++)
        {
            var aRow = t.Q.AsSpan(a * inF, inF);
            for (int s = 0; s < n; s++) z[(a * n) + s] = TensorPrimitives.Dot<double>(x.AsSpan(s * inF, inF), aRow);
        }
        return z;
    }
}

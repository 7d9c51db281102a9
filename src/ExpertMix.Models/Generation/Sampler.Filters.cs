// Sampler warpers over the surviving candidates: top-k (size-k min-heap), top-p (lazy max-heap), min-p.
namespace ExpertMix.Models.Generation;

internal sealed partial class Sampler
{
    /// <summary>HF TopKLogitsWarper: remove scores &lt; the k-th largest score (ties with it survive).</summary>
    private void ApplyTopK(int k)
    {
        if (_kth.Length < k) _kth = new float[k];
        var heap = _kth.AsSpan(0, k);
        var scores = _scores;
        int size = 0;
        for (int j = 0; j < _count; j++)
        {
            float x = scores[_candidates[j]];
            if (size < k)
            {
                // sift up in a min-heap
                int c = size++;
                while (c > 0)
                {
                    int p = (c - 1) >> 1;
                    if (heap[p] <= x) break;
                    heap[c] = heap[p];
                    c = p;
                }
                heap[c] = x;
            }
            else if (x > heap[0])
            {
                SiftDownMin(heap, x);
            }
        }
        float threshold = heap[0];
        int kept = 0;
        for (int j = 0; j < _count; j++)
        {
            int id = _candidates[j];
            if (scores[id] >= threshold) _candidates[kept++] = id;
            else scores[id] = float.NegativeInfinity;
        }
        _count = kept;
    }

    private static void SiftDownMin(Span<float> heap, float x)
    {
        int n = heap.Length, i = 0;
        while (true)
        {
            int l = 2 * i + 1;
            if (l >= n) break;
            int r = l + 1;
            int m = r < n && heap[r] < heap[l] ? r : l;
            if (heap[m] >= x) break;
            heap[i] = heap[m];
            i = m;
        }
        heap[i] = x;
    }

    /// <summary>
    /// HF TopPLogitsWarper: with ascending sort and cumulative probability c, remove c ≤ 1 − p, keep the largest.
    /// Since cᵢ = 1 − (mass of the tokens ranked above i), walking from the most probable token, token i survives iff the
    /// mass of the tokens ranked above it is &lt; p (the first token always survives).
    /// To avoid ordering the whole vocabulary, scores are first bucketed by (max − x) into <see cref="TopPBuckets"/>
    /// equal ranges. With L the first bucket where the cumulative mass reaches p·W, every token of a bucket before L
    /// has less than p·W ranked above it (kept), every token of a bucket after L has at least p·W above it (removed),
    /// and only L's tokens are ordered, with a max-heap.
    /// </summary>
    private void ApplyTopP(float topP)
    {
        var scores = _scores;
        float max = float.NegativeInfinity, min = float.PositiveInfinity;
        for (int j = 0; j < _count; j++)
        {
            float x = scores[_candidates[j]]; // never NaN (rejected on entry)
            if (x > max) max = x;
            if (x < min) min = x;
        }
        var mass = _bucketMass.AsSpan();
        mass.Clear();
        double scale = max > min ? (TopPBuckets - 1) / ((double)max - min) : 0;
        double total = Weights(max);
        var weights = _weights;
        for (int j = 0; j < _count; j++)
        {
            int id = _candidates[j];
            mass[(int)((max - (double)scores[id]) * scale)] += weights[id];
        }
        double limit = topP * total;
        int lastBucket = TopPBuckets - 1;
        double before = 0; // mass of the buckets ahead of lastBucket
        for (int i = 0; i < TopPBuckets; i++)
        {
            if (before + mass[i] >= limit)
            {
                lastBucket = i;
                break;
            }
            before += mass[i];
        }

        // Buckets ahead of lastBucket: the mass ranked above any of their tokens is < p·W, so they all survive.
        // Buckets after it: removed. Only lastBucket's tokens are ordered (max-heap), starting from `before`.
        int n = 0, kept = 0;
        for (int j = 0; j < _count; j++)
        {
            int id = _candidates[j];
            int b = (int)((max - (double)scores[id]) * scale);
            if (b < lastBucket) kept++;
            else if (b == lastBucket) _heap[n++] = id;
            else scores[id] = float.NegativeInfinity;
        }
        var heap = _heap.AsSpan(0, n);
        for (int i = n / 2 - 1; i >= 0; i--) SiftDownMax(heap, i, n, scores);
        double above = before;
        while (n > 0)
        {
            int top = heap[0];
            if (kept > 0 && above >= limit) break;
            heap[0] = heap[--n];
            if (n > 0) SiftDownMax(heap, 0, n, scores);
            kept++;
            above += weights[top];
        }
        for (int j = 0; j < n; j++) scores[heap[j]] = float.NegativeInfinity;
        int c = 0;
        for (int j = 0; j < _count; j++)
        {
            int id = _candidates[j];
            if (scores[id] != float.NegativeInfinity) _candidates[c++] = id; // ascending ids, as before
        }
        _count = c;
    }

    /// <summary>Max-heap on (score descending, id ascending) over candidate ids.</summary>
    private static void SiftDownMax(Span<int> heap, int i, int n, float[] scores)
    {
        int item = heap[i];
        while (true)
        {
            int l = 2 * i + 1;
            if (l >= n) break;
            int r = l + 1;
            int m = r < n && Before(heap[r], heap[l], scores) ? r : l;
            if (!Before(heap[m], item, scores)) break;
            heap[i] = heap[m];
            i = m;
        }
        heap[i] = item;
    }

    private static bool Before(int a, int b, float[] scores) => scores[a] > scores[b] || scores[a] == scores[b] && a < b;

    /// <summary>HF MinPLogitsWarper: remove tokens with softmax probability &lt; minP · max probability, i.e. exp(x − max) &lt; minP.</summary>
    private void ApplyMinP(float minP)
    {
        var scores = _scores;
        float max = float.NegativeInfinity;
        for (int j = 0; j < _count; j++) max = MathF.Max(max, scores[_candidates[j]]);
        int kept = 0;
        for (int j = 0; j < _count; j++)
        {
            int id = _candidates[j];
            if (MathF.Exp(scores[id] - max) < minP) scores[id] = float.NegativeInfinity;
            else _candidates[kept++] = id;
        }
        _count = kept;
    }
}

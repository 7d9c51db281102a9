// tokenizer.json "post_processor" section: TemplateProcessing (single-sequence template), Bert/Roberta, ByteLevel, Sequence.
namespace ExpertMix.Models.Tokenization;

/// <summary>Adds special tokens around the encoded ids when add_special_tokens is true.</summary>
internal interface IPostProcessor
{
    /// <summary>The ids after processing <paramref name="ids"/> (a single sequence).</summary>
    List<int> Process(List<int> ids, bool addSpecialTokens);

    /// <summary>Ids placed before / after the sequence when special tokens are added.</summary>
    (IReadOnlyList<int> Before, IReadOnlyList<int> After) Added { get; }
}

/// <summary>One item of a template: a sequence placeholder (<c>$A</c>) or special token ids.</summary>
internal readonly record struct TemplatePiece(bool IsSequence, int[] Ids);

/// <summary>TemplateProcessing for single sequences: e.g. <c>[&lt;s&gt;, $A]</c>.</summary>
internal sealed class TemplatePostProcessor(IReadOnlyList<TemplatePiece> single) : IPostProcessor
{
    public List<int> Process(List<int> ids, bool addSpecialTokens)
    {
        if (!addSpecialTokens) return ids;
        var result = new List<int>(ids.Count + 4);
        foreach (var p in single)
        {
            if (p.IsSequence) result.AddRange(ids);
            else result.AddRange(p.Ids);
        }
        return result;
    }

    public (IReadOnlyList<int> Before, IReadOnlyList<int> After) Added
    {
        get
        {
            var before = new List<int>();
            var after = new List<int>();
            bool seen = false;
            foreach (var p in single)
            {
                if (p.IsSequence) seen = true;
                else (seen ? after : before).AddRange(p.Ids);
            }
            return (before, after);
        }
    }
}

/// <summary>ByteLevel post-processor: only adjusts offsets, so ids are unchanged.</summary>
internal sealed class IdentityPostProcessor : IPostProcessor
{
    public List<int> Process(List<int> ids, bool addSpecialTokens) => ids;

    public (IReadOnlyList<int> Before, IReadOnlyList<int> After) Added => ([], []);
}

/// <summary>Sequence: the post-processors in order.</summary>
internal sealed class SequencePostProcessor(IReadOnlyList<IPostProcessor> steps) : IPostProcessor
{
    public List<int> Process(List<int> ids, bool addSpecialTokens)
    {
        foreach (var p in steps) ids = p.Process(ids, addSpecialTokens);
        return ids;
    }

    public (IReadOnlyList<int> Before, IReadOnlyList<int> After) Added
    {
        get
        {
            var before = new List<int>();
            var after = new List<int>();
            foreach (var p in steps)
            {
                var (b, a) = p.Added;
                before.InsertRange(0, b);
                after.AddRange(a);
            }
            return (before, after);
        }
    }
}

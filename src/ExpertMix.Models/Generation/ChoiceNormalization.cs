// How multiple-choice log-likelihoods are normalised before the argmax.
namespace ExpertMix.Models.Generation;

/// <summary>Normalisation of a choice's log-likelihood before picking the best choice.</summary>
public enum ChoiceNormalization
{
    /// <summary>Raw sum of log-probabilities (lm-eval-harness <c>acc</c>).</summary>
    None,

    /// <summary>
    /// Divided by the choice's length in Unicode code points (lm-eval-harness <c>acc_norm</c>:
    /// <c>lls / len(choice)</c> with Python's <c>len</c>; equals the byte length for ASCII text).
    /// </summary>
    Characters,

    /// <summary>Divided by the choice's UTF-8 byte length.</summary>
    Bytes,

    /// <summary>Divided by the number of continuation tokens.</summary>
    Tokens,
}

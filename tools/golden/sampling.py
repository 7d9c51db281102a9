"""Golden processed logits for the generation Sampler: Hugging Face transformers' logits processors re-implemented in
plain torch (transformers is not installed), applied in `_get_logits_processor` order:
RepetitionPenaltyLogitsProcessor -> TemperatureLogitsWarper -> TopKLogitsWarper -> TopPLogitsWarper -> MinPLogitsWarper.

Writes tests/ExpertMix.Models.Tests/Golden/sampling-warpers.safetensors with, per case c:
  c.logits [V] F32, c.history [N] I64, c.expected [V] F32 (processed logits, -inf where removed)
and metadata "cases" = JSON list of {name, temperature, top_k, top_p, min_p, repetition_penalty}.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SEED = 1234
OUT = os.path.join(common.REPO_ROOT, "tests", "ExpertMix.Models.Tests", "Golden", "sampling-warpers.safetensors")


def repetition_penalty(input_ids, scores, penalty):
    # RepetitionPenaltyLogitsProcessor (normalize=False): gather, penalise, scatter.
    score = torch.gather(scores, 1, input_ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return scores.scatter(1, input_ids, score)


def temperature(scores, t):
    return scores / t


def top_k(scores, k, min_tokens_to_keep=1):
    k = min(max(k, min_tokens_to_keep), scores.size(-1))
    indices_to_remove = scores < torch.topk(scores, k)[0][..., -1, None]
    return scores.masked_fill(indices_to_remove, -float("inf"))


def top_p(scores, p, min_tokens_to_keep=1):
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    sorted_indices_to_remove = cumulative_probs <= (1 - p)
    sorted_indices_to_remove[..., -min_tokens_to_keep:] = 0
    indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
    return scores.masked_fill(indices_to_remove, -float("inf"))


def min_p(scores, mp, min_tokens_to_keep=1):
    probs = torch.softmax(scores, dim=-1)
    top_probs = probs.amax(dim=-1, keepdim=True)
    tokens_to_remove = probs < mp * top_probs
    k = min(min_tokens_to_keep, probs.shape[-1])
    sorted_indices = torch.topk(probs, k, dim=-1).indices
    tokens_to_remove.scatter_(-1, sorted_indices, False)
    return scores.masked_fill(tokens_to_remove, -float("inf"))


def process(case, logits, history):
    # generate(): the penalty is a processor (always), the warpers apply only when sampling (temperature > 0 here).
    scores = logits.unsqueeze(0).clone()
    ids = history.unsqueeze(0)
    if case["repetition_penalty"] != 1.0:
        scores = repetition_penalty(ids, scores, case["repetition_penalty"])
    if case["temperature"] > 0:
        if case["temperature"] != 1.0:
            scores = temperature(scores, case["temperature"])
        if case["top_k"] != 0:
            scores = top_k(scores, case["top_k"])
        if case["top_p"] < 1.0:
            scores = top_p(scores, case["top_p"])
        if case["min_p"] > 0:
            scores = min_p(scores, case["min_p"])
    return scores.squeeze(0)


def case(name, v, temperature=1.0, top_k_=0, top_p_=1.0, min_p_=0.0, penalty=1.0, history_len=12, scale=3.0, ties=False):
    logits = torch.randn(v) * scale
    if ties:
        # make the 3rd..6th largest values equal so top-k (k=4) has ties at its threshold
        order = torch.argsort(logits, descending=True)
        logits[order[2:6]] = logits[order[2]].item()
    history = torch.randint(0, v, (history_len,), dtype=torch.int64)
    if history_len >= 2:
        history[1] = history[0]  # a repeated id is penalised once
    c = {"name": name, "temperature": temperature, "top_k": top_k_, "top_p": top_p_, "min_p": min_p_,
         "repetition_penalty": penalty}
    return c, logits, history


def main():
    common.setup(SEED)
    specs = [
        case("penalty-greedy", 64, temperature=0.0, penalty=1.3, history_len=20),
        case("penalty-reward", 64, temperature=1.0, penalty=0.7, history_len=20),
        case("temperature", 64, temperature=0.7),
        case("top-k", 64, top_k_=5),
        case("top-k-ties", 64, top_k_=4, ties=True),
        case("top-k-beyond-vocab", 16, top_k_=50),
        case("top-p", 64, top_p_=0.9),
        case("top-p-hot", 64, temperature=1.5, top_p_=0.5),
        case("top-p-tiny", 64, top_p_=0.01),
        case("min-p", 64, temperature=0.8, min_p_=0.1, scale=1.5),
        case("all", 256, temperature=0.9, top_k_=20, top_p_=0.8, min_p_=0.05, penalty=1.2, history_len=40, scale=1.0),
        case("large-vocab-top-p", 5000, top_p_=0.95, scale=2.0),
        case("large-vocab-top-k-min-p", 5000, temperature=0.6, top_k_=100, min_p_=0.02, penalty=1.1, history_len=200),
    ]
    tensors, meta_cases = {}, []
    for c, logits, history in specs:
        expected = process(c, logits, history)
        n = c["name"]
        tensors[n + ".logits"] = logits
        tensors[n + ".history"] = history
        tensors[n + ".expected"] = expected
        meta_cases.append(c)
    meta = common.base_metadata("sampling.py", SEED)
    meta["cases"] = json.dumps(meta_cases)
    common.save(OUT, tensors, meta)
    common.verify_roundtrip(OUT, tensors)


if __name__ == "__main__":
    main()

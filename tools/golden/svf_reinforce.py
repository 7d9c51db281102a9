"""SVF faithful-mode REINFORCE step (spec shared/docs/svf-transformer2.md §7.1) in plain PyTorch.

Model: tiny-llama (tests/ExpertMix.Models.Tests/Golden/tiny-llama); SVF on the 6 MLP matrices (gate/up/down of both
layers), composition as in svf.py (f64 SVD of the f32 weight, z = sigmoid(p), nuclear-norm renormalisation, W' cast to
f32 once). Three fixed rollouts (prompt ids, completion ids) with rewards r = (+1, -1, +1), B = 3:

  logp_j = sum_t log pi_W'(y_t | x, y_<t)                    (summed, no length normalisation)
  KL_j   = sum_t sum_v pi_W(v) (log pi_W(v) - log pi_W'(v))  (reference direction KL(pi_ref || pi_W'), base W as ref)
  loss   = sum_j (-logp_j * r_j + lambda * KL_j) / B          (lambda = 0.2)

then clip_grad_norm_(p, 1e-3) and one torch.optim.Adam step (lr 2e-3, betas 0.9/0.999, eps 1e-8).

Writes tests/ExpertMix.Adapters.Tests/Golden/svf-reinforce-tiny-llama.safetensors:
  prompt.{j} [P_j], completion.{j} [T_j] (I64)   the rollouts
  rewards [3]                                     r_j
  loss [1] (F64)                                  the objective
  init.<param> [r], grad.<param> [r], final.<param> [r]   p before, dL/dp before clipping, p after clip + Adam
  metadata: lr, clip, kl, params

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/svf_reinforce.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import lora  # noqa: E402

SEED = 7070
SCRIPT = "svf_reinforce.py"
MODEL = "tiny-llama"
TARGETS = ("gate_proj", "up_proj", "down_proj")
LR = 2e-3
CLIP = 1e-3
KL = 0.2
PROMPT_LENGTHS = (5, 4, 6)
COMPLETION_LENGTHS = (4, 6, 3)
REWARDS = (1.0, -1.0, 1.0)


def svd64(w):
    u, s, vh = torch.linalg.svd(w.double(), full_matrices=False)
    return u, s, vh.t()


def main():
    common.setup(SEED)
    meta = common.base_metadata(SCRIPT, SEED)
    cfg, sd = lora.load_model(MODEL)
    names = [k for k in sd if any(k.endswith(f"mlp.{t}.weight") for t in TARGETS)]
    bases = {k: svd64(sd[k]) for k in names}
    # a spread-out p (std 0.5) so that W' differs visibly from W and the KL term is not negligible
    params = {k: (0.1 + 0.5 * torch.randn(bases[k][1].shape[0])).requires_grad_(True) for k in names}
    out = {}
    for k in names:
        out[f"init.{k}"] = params[k].detach().clone()
    V = cfg["vocab_size"]
    rollouts = []
    for j, (pl, cl) in enumerate(zip(PROMPT_LENGTHS, COMPLETION_LENGTHS)):
        prompt = torch.randint(3, V, (pl,))
        completion = torch.randint(3, V, (cl,))
        out[f"prompt.{j}"], out[f"completion.{j}"] = prompt, completion
        rollouts.append((prompt, completion))
    out["rewards"] = torch.tensor(REWARDS, dtype=torch.float32)

    w2 = dict(sd)
    for k in names:
        u, s, v = bases[k]
        z = torch.sigmoid(params[k]).double()
        sp = s * z
        w2[k] = ((s.sum() / sp.sum()) * (u * sp) @ v.t()).float()
    B = len(rollouts)
    loss = torch.zeros((), dtype=torch.float32)
    for (prompt, completion), r in zip(rollouts, REWARDS):
        ids = torch.cat([prompt, completion]).tolist()
        p_len, c_len = len(prompt), len(completion)
        logits = lora.forward("llama", cfg, w2, ids)[p_len - 1:p_len - 1 + c_len]          # [Tc, V]
        with torch.no_grad():
            base = lora.forward("llama", cfg, sd, ids)[p_len - 1:p_len - 1 + c_len]         # [Tc, V]
        lp = torch.log_softmax(logits, dim=-1)
        lb = torch.log_softmax(base, dim=-1)
        logp = lp.gather(1, completion.view(-1, 1)).sum()
        kl = (lb.exp() * (lb - lp)).sum()
        loss = loss + (-logp * r + KL * kl) / B
    loss.backward()
    for k in names:
        out[f"grad.{k}"] = params[k].grad.detach().clone()
    torch.nn.utils.clip_grad_norm_(list(params.values()), CLIP)
    opt = torch.optim.Adam(list(params.values()), lr=LR, betas=(0.9, 0.999), eps=1e-8)
    opt.step()
    for k in names:
        out[f"final.{k}"] = params[k].detach().clone()
    out["loss"] = torch.tensor([float(loss)], dtype=torch.float64)
    path = os.path.join(lora.OUT, f"svf-reinforce-{MODEL}.safetensors")
    common.save(path, out, dict(meta, model=MODEL, lr=str(LR), clip=str(CLIP), kl=str(KL), params=",".join(names)))
    common.verify_roundtrip(path, out)
    print(f"loss {float(loss):.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""AdamW and clip_grad_norm_ goldens (torch.optim.AdamW, default single-tensor path, torch 1.13).

Run:  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/adamw.py
Writes tests/ExpertMix.Tensors.Tests/Golden/adamw.safetensors.

Case "adamw" (two parameter groups, 5 steps):
  group "decay":    p0 [1031]  (odd length: exercises every SIMD tail), lr 1e-2, betas (0.9, 0.999), eps 1e-8, wd 0.1
  group "no_decay": p1 [3, 7], same but wd 0
  adamw.p{i}.init            initial values
  adamw.p{i}.grad.{t}        gradient fed before step t (t = 1..5); the gradient is set, not accumulated
  adamw.p{i}.step.{t}        parameter after step t
  adamw.p{i}.exp_avg / .exp_avg_sq   optimizer state after step 5
Case "adamw_amsgrad": q [37], lr 5e-3, wd 0.05, amsgrad=True, 5 steps; gradients shrink over time so that
  max_exp_avg_sq differs from exp_avg_sq. Names as above with prefix adamw_amsgrad.q, plus .max_exp_avg_sq.
Cases "clip_*": torch.nn.utils.clip_grad_norm_(params, max_norm) on three gradients g0 [5,7], g1 [11], g2 [2,3,4]
  clip_X.in{i} the gradients before, clip_X.out{i} after, clip_X.total_norm (rank 0) the returned norm;
  metadata case.clip_X holds max_norm. clip_big: norm > max_norm (scaled); clip_small: norm < max_norm (unchanged).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 1234
common.setup(SEED)
gen = torch.Generator().manual_seed(SEED)
tensors = {}
meta = common.base_metadata("adamw.py", SEED)


def randn(*shape, scale=1.0):
    return torch.randn(tuple(shape), generator=gen) * scale


# ---- two groups, 5 steps ----
p0 = randn(1031).requires_grad_(True)
p1 = randn(3, 7).requires_grad_(True)
tensors["adamw.p0.init"] = p0.detach().clone()
tensors["adamw.p1.init"] = p1.detach().clone()
opt = torch.optim.AdamW([
    {"params": [p0], "weight_decay": 0.1},
    {"params": [p1], "weight_decay": 0.0},
], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
for t in range(1, 6):
    for i, p in enumerate((p0, p1)):
        g = randn(*p.shape, scale=0.1 * t)
        tensors[f"adamw.p{i}.grad.{t}"] = g.clone()
        p.grad = g
    opt.step()
    for i, p in enumerate((p0, p1)):
        tensors[f"adamw.p{i}.step.{t}"] = p.detach().clone()
for i, p in enumerate((p0, p1)):
    st = opt.state[p]
    tensors[f"adamw.p{i}.exp_avg"] = st["exp_avg"].clone()
    tensors[f"adamw.p{i}.exp_avg_sq"] = st["exp_avg_sq"].clone()
meta["case.adamw"] = json.dumps({"steps": 5, "groups": [
    {"params": ["p0"], "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1},
    {"params": ["p1"], "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}]}, sort_keys=True)

# ---- amsgrad ----
q = randn(37).requires_grad_(True)
tensors["adamw_amsgrad.q.init"] = q.detach().clone()
opt = torch.optim.AdamW([q], lr=5e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05, amsgrad=True)
for t in range(1, 6):
    g = randn(37, scale=1.0 / t)
    tensors[f"adamw_amsgrad.q.grad.{t}"] = g.clone()
    q.grad = g
    opt.step()
    tensors[f"adamw_amsgrad.q.step.{t}"] = q.detach().clone()
st = opt.state[q]
for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
    tensors[f"adamw_amsgrad.q.{k}"] = st[k].clone()
meta["case.adamw_amsgrad"] = json.dumps({"steps": 5, "lr": 5e-3, "betas": [0.9, 0.999], "eps": 1e-8,
                                         "weight_decay": 0.05, "amsgrad": True}, sort_keys=True)

# ---- clip_grad_norm_ ----
for name, max_norm, scale in (("clip_big", 1.0, 1.0), ("clip_small", 100.0, 1.0)):
    params = [torch.zeros(5, 7, requires_grad=True), torch.zeros(11, requires_grad=True), torch.zeros(2, 3, 4, requires_grad=True)]
    for i, p in enumerate(params):
        p.grad = randn(*p.shape, scale=scale)
        tensors[f"{name}.in{i}"] = p.grad.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    tensors[f"{name}.total_norm"] = total.detach().clone().reshape(())
    for i, p in enumerate(params):
        tensors[f"{name}.out{i}"] = p.grad.clone()
    meta["case." + name] = json.dumps({"max_norm": max_norm, "norm_type": 2.0}, sort_keys=True)

meta["cases"] = "adamw,adamw_amsgrad,clip_big,clip_small"
path = os.path.join(common.GOLDEN_DIR, "adamw.safetensors")
common.save(path, tensors, meta)
common.verify_roundtrip(path, tensors)

"""SVF (Transformer²) goldens in plain PyTorch, following the spec (shared/docs/svf-transformer2.md §3, §4, §6).

Composition (reference code): z = max_mult * sigmoid(p), s' = sigma * z, c = sum(sigma) / sum(s'),
W' = c * U diag(s') V^T; here composed in float64 from a float64 SVD of the f32 weight, then cast to f32.

Writes tests/ExpertMix.Adapters.Tests/Golden/svf-tiny-llama.safetensors:
  svd.W [96, 64]        tiny-llama model.layers.0.mlp.gate_proj.weight (f32)
  svd.S [64] (F64)      its singular values (torch.linalg.svd in float64)
  svd.U [96, 64], svd.V [64, 64] (F64)   singular vectors (columns; defined up to sign)
  compose.p [64], compose.W [96, 64]     a seeded p and W'(p) for that matrix (max_mult 1)
  train.batch [2, 12]                    token ids; loss = mean next-token CE over both rows
  train.loss [1] (F64)                   loss before the step
  init.<param> [r], grad.<param> [r], final.<param> [r]   p before, dL/dp, p after one AdamW step
                                          (lr 0.01, betas 0.9/0.999, eps 1e-8, weight decay 0.01) for the
                                          6 MLP matrices (gate/up/down of both layers), p = 0.1 + 0.01 N(0, 1)

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/svf.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import lora  # noqa: E402

SEED = 6060
SCRIPT = "svf.py"
MODEL = "tiny-llama"
TARGETS = ("gate_proj", "up_proj", "down_proj")
LR = 0.01


def svd64(w):
    u, s, vh = torch.linalg.svd(w.double(), full_matrices=False)
    return u, s, vh.t()


def compose(u, s, v, p, max_mult=1.0):
    z = max_mult * torch.sigmoid(p.double())
    sp = s * z
    c = s.sum() / sp.sum()
    return (c * (u * sp) @ v.t()).float()


def main():
    common.setup(SEED)
    meta = common.base_metadata(SCRIPT, SEED)
    cfg, sd = lora.load_model(MODEL)
    out = {}
    w = sd["model.layers.0.mlp.gate_proj.weight"]
    u, s, v = svd64(w)
    out["svd.W"], out["svd.S"], out["svd.U"], out["svd.V"] = w, s, u, v
    p = torch.randn(s.shape[0], dtype=torch.float32)
    out["compose.p"] = p
    out["compose.W"] = compose(u, s, v, p)

    names = [k for k in sd if k.endswith(".weight") and any(k.endswith(f"mlp.{t}.weight") for t in TARGETS)]
    bases = {k: svd64(sd[k]) for k in names}
    params = {k: (0.1 + 0.01 * torch.randn(bases[k][1].shape[0])).requires_grad_(True) for k in names}
    for k in names:
        out[f"init.{k}"] = params[k].detach().clone()
    batch = torch.randint(0, cfg["vocab_size"], (2, 12))
    opt = torch.optim.AdamW(list(params.values()), lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    opt.zero_grad()
    w2 = dict(sd)
    for k in names:
        u, s, v = bases[k]
        z = torch.sigmoid(params[k]).double()
        sp = s * z
        w2[k] = ((s.sum() / sp.sum()) * (u * sp) @ v.t()).float()
    logits = torch.cat([lora.forward("llama", cfg, w2, row.tolist())[:-1] for row in batch])   # [2*11, V]
    targets = torch.cat([row[1:] for row in batch])
    loss = torch.nn.functional.cross_entropy(logits, targets)
    loss.backward()
    for k in names:
        out[f"grad.{k}"] = params[k].grad.detach().clone()
    opt.step()
    for k in names:
        out[f"final.{k}"] = params[k].detach().clone()
    out["train.batch"] = batch
    out["train.loss"] = torch.tensor([float(loss)], dtype=torch.float64)
    path = os.path.join(lora.OUT, f"svf-{MODEL}.safetensors")
    common.save(path, out, dict(meta, model=MODEL, lr=str(LR), params=",".join(names)))
    common.verify_roundtrip(path, out)
    print(f"loss {float(loss):.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()

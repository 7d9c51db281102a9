"""A 10-step AdamW training trajectory of a one-block transformer LM (the engine's end-to-end training golden).

Run:  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/trajectory.py
Writes tests/ExpertMix.Tensors.Tests/Golden/block-trajectory.safetensors.

Architecture (GPT-2-like, pre-norm, untied head; V=64, C=32, H=4, Dh=8, T=8, B=2), exactly:
    x   = tok_emb.weight[input_ids] + pos_emb.weight[arange(T)]            # [B,T,C]
    h   = layer_norm(x, ln1.weight, ln1.bias, eps=1e-5)
    q   = linear(h, attn.q.weight, attn.q.bias)  -> view [B,T,H,Dh] -> transpose(1,2)   # [B,H,T,Dh]
    k,v likewise with attn.k.*, attn.v.*
    att = softmax(q @ k^T / sqrt(Dh) + causal_mask, dim=-1) @ v            # mask: -inf where key > query
    a   = att.transpose(1,2).reshape(B,T,C)
    x   = x + linear(a, attn.o.weight, attn.o.bias)
    h   = layer_norm(x, ln2.weight, ln2.bias, eps=1e-5)
    x   = x + linear(gelu(linear(h, mlp.fc1.weight, mlp.fc1.bias)), mlp.fc2.weight, mlp.fc2.bias)   # gelu exact (erf)
    x   = layer_norm(x, ln_f.weight, ln_f.bias, eps=1e-5)
    logits = linear(x, lm_head.weight)                                     # [B,T,V], no bias, NOT tied
    loss = cross_entropy(logits.view(B*T, V), targets.view(B*T))           # mean over all 16 positions
Weights: every Linear weight is [out, in]; fc1 [128, 32], fc2 [32, 128]; init N(0, 0.02) for weights and
embeddings, biases N(0, 0.02) too (non-zero so their gradients are exercised), LayerNorm weights 1 + N(0, 0.02),
biases N(0, 0.02).
Training: one AdamW over all parameters (single group), lr 1e-2, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01;
each step: grads set to None, forward, loss.backward(), opt.step().

Tensors in the file:
  init.<param>        every parameter before training (names above, e.g. init.attn.q.weight)
  final.<param>       every parameter after 10 steps
  grad0.<param>       the gradients of the first step (debugging aid)
  input_ids, targets  I64 [2, 8]; targets[b, t] = the token after input_ids[b, t] in a random [2, 9] sequence
  logits0             [2, 8, 64] logits before training
  losses              [10] loss of step s (computed before update s)
Metadata: "params" = comma-separated parameter names in model order; "architecture" = the text above.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 4242
common.setup(SEED)
gen = torch.Generator().manual_seed(SEED)
V, C, H, T, B = 64, 32, 4, 8, 2
DH = C // H
STEPS = 10


def randn(*shape, std=0.02):
    return torch.randn(tuple(shape), generator=gen) * std


shapes = [
    ("tok_emb.weight", (V, C)), ("pos_emb.weight", (T, C)),
    ("ln1.weight", (C,)), ("ln1.bias", (C,)),
    ("attn.q.weight", (C, C)), ("attn.q.bias", (C,)),
    ("attn.k.weight", (C, C)), ("attn.k.bias", (C,)),
    ("attn.v.weight", (C, C)), ("attn.v.bias", (C,)),
    ("attn.o.weight", (C, C)), ("attn.o.bias", (C,)),
    ("ln2.weight", (C,)), ("ln2.bias", (C,)),
    ("mlp.fc1.weight", (4 * C, C)), ("mlp.fc1.bias", (4 * C,)),
    ("mlp.fc2.weight", (C, 4 * C)), ("mlp.fc2.bias", (C,)),
    ("ln_f.weight", (C,)), ("ln_f.bias", (C,)),
    ("lm_head.weight", (V, C)),
]
params = {}
for name, shape in shapes:
    t = randn(*shape)
    if name.startswith("ln") and name.endswith(".weight"):
        t = t + 1.0
    params[name] = t.requires_grad_(True)

seq = torch.randint(0, V, (B, T + 1), generator=gen)
input_ids, targets = seq[:, :T].contiguous(), seq[:, 1:].contiguous()


def forward(p, ids):
    x = p["tok_emb.weight"][ids] + p["pos_emb.weight"][torch.arange(T)]            # [B,T,C]
    h = F.layer_norm(x, (C,), p["ln1.weight"], p["ln1.bias"], eps=1e-5)

    def heads(name):
        return F.linear(h, p[f"attn.{name}.weight"], p[f"attn.{name}.bias"]).view(B, T, H, DH).transpose(1, 2)
    q, k, v = heads("q"), heads("k"), heads("v")                                     # [B,H,T,Dh]
    mask = torch.zeros(T, T).masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(DH) + mask, dim=-1) @ v  # [B,H,T,Dh]
    a = att.transpose(1, 2).reshape(B, T, C)
    x = x + F.linear(a, p["attn.o.weight"], p["attn.o.bias"])
    h = F.layer_norm(x, (C,), p["ln2.weight"], p["ln2.bias"], eps=1e-5)
    x = x + F.linear(F.gelu(F.linear(h, p["mlp.fc1.weight"], p["mlp.fc1.bias"])), p["mlp.fc2.weight"], p["mlp.fc2.bias"])
    x = F.layer_norm(x, (C,), p["ln_f.weight"], p["ln_f.bias"], eps=1e-5)
    return F.linear(x, p["lm_head.weight"])                                          # [B,T,V]


tensors = {"input_ids": input_ids, "targets": targets}
for name, t in params.items():
    tensors["init." + name] = t.detach().clone()
opt = torch.optim.AdamW(list(params.values()), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
losses = []
for step in range(STEPS):
    opt.zero_grad(set_to_none=True)
    logits = forward(params, input_ids)
    loss = F.cross_entropy(logits.view(B * T, V), targets.view(B * T))
    loss.backward()
    if step == 0:
        tensors["logits0"] = logits.detach().clone()
        for name, t in params.items():
            tensors["grad0." + name] = t.grad.detach().clone()
    losses.append(loss.item())
    opt.step()
    print(f"step {step}: loss {loss.item():.6f}", file=sys.stderr)
tensors["losses"] = torch.tensor(losses, dtype=torch.float32)
for name, t in params.items():
    tensors["final." + name] = t.detach().clone()

meta = common.base_metadata("trajectory.py", SEED)
meta["params"] = ",".join(params)
meta["architecture"] = __doc__.split("Architecture", 1)[1].split("Tensors in the file", 1)[0].strip()
meta["optimizer"] = "AdamW lr=1e-2 betas=(0.9,0.999) eps=1e-8 weight_decay=0.01, single group, 10 steps"
path = os.path.join(common.GOLDEN_DIR, "block-trajectory.safetensors")
common.save(path, tensors, meta)
common.verify_roundtrip(path, tensors)

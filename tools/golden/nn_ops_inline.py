"""Prints the inline PyTorch reference values of tests/ExpertMix.Tensors.Tests/NnTorchParityTests.cs.

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/nn_ops_inline.py > /tmp/parity.cs
(torch 1.13, float32, 1 thread). Mirrors HF modeling_llama: LlamaRMSNorm, rotate_half/apply_rotary_pos_emb,
repeat_kv + eager attention with a causal mask whose queries are the last T of S positions plus a padding mask.
"""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def arr(name, t):
    vals = ", ".join("%.9gf" % v for v in t.detach().flatten().tolist())
    print("    private static readonly float[] %s = [%s];" % (name, vals))


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float32)


# RMSNorm (HF LlamaRMSNorm), x [2, 3, 8], eps 1e-6
x = rnd(2, 3, 8).requires_grad_()
w = rnd(8).requires_grad_()
y = w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))
g = rnd(2, 3, 8)
y.backward(g)
for n, t in [("s_rmsX", x), ("s_rmsW", w), ("s_rmsG", g), ("s_rmsY", y), ("s_rmsDx", x.grad), ("s_rmsDw", w.grad)]:
    arr(n, t)

# LayerNorm, x [3, 6], eps 1e-5
x = rnd(3, 6).requires_grad_()
w = rnd(6).requires_grad_()
b = rnd(6).requires_grad_()
y = F.layer_norm(x, (6,), w, b, 1e-5)
g = rnd(3, 6)
y.backward(g)
for n, t in [("s_lnX", x), ("s_lnW", w), ("s_lnB", b), ("s_lnG", g), ("s_lnY", y), ("s_lnDx", x.grad), ("s_lnDw", w.grad), ("s_lnDb", b.grad)]:
    arr(n, t)

# RoPE (HF half rotation), x [1, 2, 3, 8] at positions 4, 5, 6, theta 10000
dh = 8
inv_freq = 1.0 / (10000 ** (torch.arange(0, dh, 2, dtype=torch.int64).float() / dh))
pos = torch.tensor([4, 5, 6]).float()
freqs = torch.outer(pos, inv_freq)
emb = torch.cat((freqs, freqs), dim=-1)
cos, sin = emb.cos(), emb.sin()


def rotate_half(t):
    return torch.cat((-t[..., dh // 2:], t[..., : dh // 2]), dim=-1)


x = rnd(1, 2, 3, dh).requires_grad_()
y = x * cos + rotate_half(x) * sin
g = rnd(1, 2, 3, dh)
y.backward(g)
for n, t in [("s_ropeX", x), ("s_ropeG", g), ("s_ropeY", y), ("s_ropeDx", x.grad)]:
    arr(n, t)

# Attention: q [2, 4, 2, 4], k/v [2, 2, 3, 4] (GQA 4/2), causal with queries at positions 1, 2 of 3,
# batch 1 left-padded by one key (mask -inf on key 0).
B, H, Hkv, T, S, D = 2, 4, 2, 2, 3, 4
q = rnd(B, H, T, D).requires_grad_()
k = rnd(B, Hkv, S, D).requires_grad_()
v = rnd(B, Hkv, S, D).requires_grad_()
mask = torch.zeros(B, 1, T, S)
mask[1, :, :, 0] = float("-inf")
causal = torch.full((T, S), float("-inf")).triu(S - T + 1)
kr = k.repeat_interleave(H // Hkv, dim=1)
vr = v.repeat_interleave(H // Hkv, dim=1)
att = torch.matmul(q, kr.transpose(2, 3)) * (1.0 / D ** 0.5) + causal + mask
o = torch.matmul(torch.softmax(att, dim=-1, dtype=torch.float32), vr)
g = rnd(B, H, T, D)
o.backward(g)
for n, t in [("s_attQ", q), ("s_attK", k), ("s_attV", v), ("s_attG", g), ("s_attO", o), ("s_attDq", q.grad), ("s_attDk", k.grad), ("s_attDv", v.grad)]:
    arr(n, t)

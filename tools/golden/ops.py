"""Op goldens: forward outputs and gradients of sum(out * w) for every op of the ExpertMix engine (PyTorch semantics).

Run:  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/ops.py
Writes tests/ExpertMix.Tensors.Tests/Golden/ops.safetensors.

Naming, per case C (see README.md):
  C.in0, C.in1, ...   inputs (F32; index inputs are I64)
  C.w                 seeded cotangent w with out's shape (only when some input is differentiable)
  C.out               forward output (multi-output ops: C.out0, C.out1, ... and C.w0, C.w1, ...)
  C.grad0, C.grad1    d sum(out * w) / d in_i, present only for differentiable inputs
  C.idx               integer indices output by max / topk (I64)
Metadata "case.C" is a JSON object: {"op", "inputs": [shapes], "differentiable": [bools], ...op parameters}.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 20240601
common.setup(SEED)
gen = torch.Generator().manual_seed(SEED)

tensors = {}
meta = common.base_metadata("ops.py", SEED)
cases = []


def randn(*shape, scale=1.0):
    return torch.randn(tuple(shape), generator=gen) * scale


def positive(*shape):
    """Values in [0.2, 2.2): safe for log, sqrt, rsqrt and division."""
    return torch.rand(tuple(shape), generator=gen) * 2.0 + 0.2


def case(name, fn, inputs, params=None, differentiable=None, multi=False, idx=None):
    """Runs fn(*inputs), stores inputs, output(s), cotangent(s) and gradients of sum(out * w)."""
    if differentiable is None:
        differentiable = [t.dtype.is_floating_point for t in inputs]
    leaves = [t.detach().clone().requires_grad_(d) for t, d in zip(inputs, differentiable)]
    res = fn(*leaves)
    outs = list(res) if multi else [res]
    for i, t in enumerate(inputs):
        tensors[f"{name}.in{i}"] = t.detach().clone()
    loss = None
    for j, o in enumerate(outs):
        suffix = str(j) if multi else ""
        tensors[f"{name}.out{suffix}"] = o.detach().clone()
        if any(differentiable) and o.dtype.is_floating_point and o.requires_grad:
            w = randn(*o.shape)
            tensors[f"{name}.w{suffix}"] = w
            term = (o * w).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
        for i, (leaf, d) in enumerate(zip(leaves, differentiable)):
            if d:
                g = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
                tensors[f"{name}.grad{i}"] = g.detach().clone()
    if idx is not None:
        tensors[f"{name}.idx"] = idx(*[t.detach() for t in inputs]).clone()
    info = {"op": params.pop("op") if params and "op" in params else name,
            "inputs": [list(t.shape) for t in inputs], "differentiable": differentiable}
    info.update(params or {})
    meta["case." + name] = json.dumps(info, sort_keys=True)
    cases.append(name)


S = (3, 5, 7)

# ---- element-wise binary with broadcasting --------------------------------------------------------------------
case("add", torch.add, [randn(*S), randn(5, 1)], {"broadcast": "[3,5,7] + [5,1]"})
case("add_same", torch.add, [randn(*S), randn(*S)])
case("sub", torch.sub, [randn(*S), randn(3, 1, 7)], {"broadcast": "[3,5,7] - [3,1,7]"})
case("mul", torch.mul, [randn(*S), randn(7)], {"broadcast": "[3,5,7] * [7]"})
case("mul_scalar_tensor", torch.mul, [randn(*S), randn(1)], {"broadcast": "[3,5,7] * [1]"})
case("div", torch.div, [randn(*S), positive(5, 7)], {"broadcast": "[3,5,7] / [5,7]"})
case("div_both", torch.div, [randn(3, 1, 7), positive(1, 5, 1)], {"broadcast": "[3,1,7] / [1,5,1] -> [3,5,7]"})

# ---- element-wise unary ----------------------------------------------------------------------------------------
case("exp", torch.exp, [randn(*S)])
case("log", torch.log, [positive(*S)])
case("sqrt", torch.sqrt, [positive(*S)])
case("rsqrt", torch.rsqrt, [positive(*S)])
case("neg", torch.neg, [randn(*S)])
case("gelu", lambda x: F.gelu(x), [randn(*S, scale=2.0)], {"approximate": "none", "formula": "0.5*x*(1+erf(x/sqrt(2)))"})
case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), [randn(*S, scale=2.0)],
     {"approximate": "tanh", "formula": "0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))"})
case("silu", F.silu, [randn(*S, scale=2.0)])
case("sigmoid", torch.sigmoid, [randn(*S, scale=2.0)])
case("relu", torch.relu, [randn(*S)], {"note": "inputs have no exact zeros"})
case("tanh", torch.tanh, [randn(*S, scale=2.0)])
case("swiglu", lambda a, b: F.silu(a) * b, [randn(*S), randn(*S)], {"formula": "silu(in0) * in1"})

# ---- reductions ------------------------------------------------------------------------------------------------
case("sum_dim1", lambda x: x.sum(dim=1), [randn(*S)], {"op": "sum", "dim": 1, "keepdim": False})
case("sum_dim_last_keepdim", lambda x: x.sum(dim=-1, keepdim=True), [randn(*S)], {"op": "sum", "dim": -1, "keepdim": True})
case("sum_all", lambda x: x.sum(), [randn(*S)], {"op": "sum", "dim": None})
case("mean_dim1", lambda x: x.mean(dim=1), [randn(*S)], {"op": "mean", "dim": 1, "keepdim": False})
case("mean_all", lambda x: x.mean(), [randn(*S)], {"op": "mean", "dim": None})
case("max_dim2", lambda x: x.max(dim=2).values, [randn(*S)], {"op": "max", "dim": 2, "keepdim": False,
     "note": "values in out, argmax in idx; gradient flows to the argmax"}, idx=lambda x: x.max(dim=2).indices)
case("max_dim0_keepdim", lambda x: x.max(dim=0, keepdim=True).values, [randn(*S)], {"op": "max", "dim": 0, "keepdim": True},
     idx=lambda x: x.max(dim=0, keepdim=True).indices)

# ---- softmax and norms -----------------------------------------------------------------------------------------
case("softmax", lambda x: torch.softmax(x, dim=-1), [randn(*S, scale=3.0)], {"dim": -1})
case("softmax_dim1", lambda x: torch.softmax(x, dim=1), [randn(*S, scale=3.0)], {"op": "softmax", "dim": 1})
case("log_softmax", lambda x: torch.log_softmax(x, dim=-1), [randn(*S, scale=3.0)], {"dim": -1})
case("layer_norm", lambda x, w, b: F.layer_norm(x, (7,), w, b, eps=1e-5),
     [randn(*S, scale=2.0) + 0.5, randn(7) * 0.5 + 1.0, randn(7) * 0.1],
     {"normalized_shape": [7], "eps": 1e-5, "formula": "(x-mean)/sqrt(var_biased+eps)*w+b"})


def rms_norm(x, w, eps=1e-6):
    # HF LlamaRMSNorm: variance = x.pow(2).mean(-1, keepdim=True); x * rsqrt(variance + eps); weight * x
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


case("rms_norm", rms_norm, [randn(*S, scale=2.0), randn(7) * 0.5 + 1.0],
     {"eps": 1e-6, "formula": "w * (x * rsqrt(mean(x^2, -1) + eps))  (HF LlamaRMSNorm)"})

# ---- RoPE --------------------------------------------------------------------------------------------------------
B, H, T, DH, THETA, OFFSET = 2, 3, 5, 8, 10000.0, 3


def rope_cos_sin(dh, positions, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, dh, 2).float() / dh))  # [Dh/2], f32 as in HF
    freqs = torch.outer(positions.float(), inv_freq)                    # [T, Dh/2]
    return freqs.cos(), freqs.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_half(x):
    cos, sin = rope_cos_sin(DH, torch.arange(OFFSET, OFFSET + T), THETA)
    cos, sin = torch.cat((cos, cos), -1), torch.cat((sin, sin), -1)    # [T, Dh]
    return x * cos + rotate_half(x) * sin


def rope_interleaved(x):
    cos, sin = rope_cos_sin(DH, torch.arange(OFFSET, OFFSET + T), THETA)  # [T, Dh/2]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y0 = x0 * cos - x1 * sin
    y1 = x0 * sin + x1 * cos
    return torch.stack((y0, y1), dim=-1).flatten(-2)


rope_params = {"layout": "[B,H,T,Dh]", "theta": THETA, "position_offset": OFFSET,
               "inv_freq": "1/(theta**(arange(0,Dh,2).float()/Dh)) in f32; angles = outer(positions.float(), inv_freq) in f32"}
case("rope_half", rope_half, [randn(B, H, T, DH)], dict(rope_params, op="rope", variant="rotate_half (HF Llama)",
     formula="x*cat(cos,cos) + rotate_half(x)*cat(sin,sin), rotate_half(x)=cat(-x[Dh/2:], x[:Dh/2])"))
case("rope_interleaved", rope_interleaved, [randn(B, H, T, DH)], dict(rope_params, op="rope", variant="interleaved pairs",
     formula="pairs (x[2i], x[2i+1]) -> (x0*cos_i - x1*sin_i, x0*sin_i + x1*cos_i)"))

# ---- attention ---------------------------------------------------------------------------------------------------
AH, AHKV, AT, AS, ADH = 4, 2, 5, 8, 8
AOFF = AS - AT  # 3: queries are positions 3..7, keys 0..7


def causal_gqa_attention(q, k, v):
    # q [B,H,T,Dh], k/v [B,Hkv,S,Dh]; HF repeat_kv: query head h uses kv head h // (H/Hkv)
    rep = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])       # [B,H,T,S]
    qpos = torch.arange(AOFF, AOFF + q.shape[2])[:, None]
    kpos = torch.arange(k.shape[2])[None, :]
    mask = torch.zeros(q.shape[2], k.shape[2]).masked_fill(kpos > qpos, float("-inf"))
    p = torch.softmax(scores + mask, dim=-1)
    return p @ v                                                     # [B,H,T,Dh]


case("attention_causal_gqa", causal_gqa_attention, [randn(2, AH, AT, ADH), randn(2, AHKV, AS, ADH), randn(2, AHKV, AS, ADH)],
     {"op": "attention", "H": AH, "Hkv": AHKV, "T": AT, "S": AS, "Dh": ADH, "query_offset": AOFF,
      "formula": "softmax(Q K^T / sqrt(Dh) + causal(-inf where key_pos > query_pos, query_pos = offset + t)) V; "
                 "query head h uses kv head h // (H/Hkv)"})


def padded_attention(q, k, v, mask):
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return torch.softmax(scores + mask, dim=-1) @ v


pad_mask = torch.zeros(2, 1, 1, 6)
pad_mask[1, :, :, 4:] = torch.finfo(torch.float32).min  # batch 1: last two keys are padding
case("attention_padding_mask", padded_attention, [randn(2, 2, 6, 8), randn(2, 2, 6, 8), randn(2, 2, 6, 8), pad_mask],
     {"op": "attention", "H": 2, "Hkv": 2, "T": 6, "S": 6, "Dh": 8, "causal": False,
      "formula": "softmax(Q K^T / sqrt(Dh) + in3) V; in3 [B,1,1,S] additive: 0 or finfo(f32).min (batch 1 keys 4,5 padded)"},
     differentiable=[True, True, True, False])

# ---- loss, embedding, matmul, linear -----------------------------------------------------------------------------
targets = torch.randint(0, 11, (7,), generator=gen)
targets[2] = -100
targets[5] = -100
case("cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=-100, reduction="mean"),
     [randn(7, 11, scale=2.0), targets], {"ignore_index": -100, "reduction": "mean",
     "note": "in1 = int64 targets, rows 2 and 5 ignored; mean over the 5 kept rows"})
ids = torch.randint(0, 11, (3, 5), generator=gen)
ids[0, 0] = ids[2, 4] = 4  # a repeated id accumulates gradient
case("embedding", lambda i, w: F.embedding(i, w), [ids, randn(11, 7)], {"note": "in0 = int64 ids [3,5], in1 = weight [V=11, D=7]"})
case("matmul_2d", torch.matmul, [randn(5, 7), randn(7, 3)], {"op": "matmul"})
case("matmul_batched_broadcast", torch.matmul, [randn(2, 1, 5, 7), randn(3, 7, 4)], {"op": "matmul", "broadcast": "[2,1,5,7] @ [3,7,4] -> [2,3,5,4]"})
case("matmul_batched", torch.matmul, [randn(3, 5, 7), randn(3, 7, 4)], {"op": "matmul"})
case("linear", lambda x, w, b: F.linear(x, w, b), [randn(*S), randn(4, 7), randn(4)], {"formula": "x W^T + b, W [out=4, in=7]"})
case("linear_nobias", lambda x, w: F.linear(x, w), [randn(*S), randn(4, 7)], {"op": "linear", "formula": "x W^T"})

# ---- shape ops ---------------------------------------------------------------------------------------------------
case("concat", lambda a, b: torch.cat([a, b], dim=1), [randn(3, 2, 7), randn(3, 5, 7)], {"dim": 1})
case("concat_last", lambda a, b, c: torch.cat([a, b, c], dim=-1), [randn(3, 5, 2), randn(3, 5, 7), randn(3, 5, 1)], {"op": "concat", "dim": -1})
case("narrow", lambda x: x.narrow(1, 1, 3), [randn(*S)], {"dim": 1, "start": 1, "length": 3})
case("split", lambda x: x.split([2, 3, 2], dim=2), [randn(*S)], {"dim": 2, "sizes": [2, 3, 2]}, multi=True)
case("topk", lambda x: torch.topk(x, 3, dim=-1, largest=True, sorted=True).values, [randn(*S)],
     {"k": 3, "dim": -1, "largest": True, "sorted": True, "note": "values in out, indices in idx"},
     idx=lambda x: torch.topk(x, 3, dim=-1, largest=True, sorted=True).indices)
case("transpose_contiguous", lambda x: x.transpose(0, 2).contiguous(), [randn(*S)], {"dim0": 0, "dim1": 2})
case("permute_contiguous", lambda x: x.permute(1, 2, 0).contiguous(), [randn(*S)], {"dims": [1, 2, 0]})
case("reshape", lambda x: x.reshape(5, 21), [randn(*S)], {"shape": [5, 21]})

# ---- bf16 round trip of special values (RNE) ----------------------------------------------------------------------
f32 = torch.tensor([
    0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), float("nan"),
    3.4028234663852886e38,            # f32 max: rounds up to +inf in bf16
    -3.4028234663852886e38,
    1.1754943508222875e-38,           # smallest normal
    1.401298464324817e-45,            # smallest subnormal
    -1.401298464324817e-45,
    1.0 + 2.0 ** -8,                  # exact tie, even -> 1.0
    1.0 + 3 * 2.0 ** -8,              # exact tie, odd -> rounds up to 1 + 2^-6
    1.0 + 2.0 ** -8 + 2.0 ** -20,     # just above the tie -> up
    1.0 + 2.0 ** -8 - 2.0 ** -20,     # just below the tie -> down
    3.3895313892515355e38,            # bf16 max
    3.3961775292304416e38,            # tie between bf16 max and inf -> inf (even)
    65504.0, 1e-30, -2.5, 0.1, 123.456,
], dtype=torch.float32)
bf = f32.to(torch.bfloat16)
tensors["bf16_roundtrip.in0"] = f32
tensors["bf16_roundtrip.out"] = bf
tensors["bf16_roundtrip.back"] = bf.to(torch.float32)
tensors["bf16_roundtrip.bits"] = bf.view(torch.int16).to(torch.int32) & 0xFFFF
meta["case.bf16_roundtrip"] = json.dumps({"op": "bf16_roundtrip", "inputs": [list(f32.shape)], "differentiable": [False],
    "note": "out = in0.to(bfloat16) (BF16, round to nearest even; NaN stays NaN), back = out.to(float32), bits = raw uint16 as I32. NaN bits are implementation-specific: torch 1.13 (AVX2 path) writes 0xFFFF for NaN, compare NaN by IsNaN only"},
    sort_keys=True)
cases.append("bf16_roundtrip")

meta["cases"] = ",".join(cases)
path = os.path.join(common.GOLDEN_DIR, "ops.safetensors")
common.save(path, tensors, meta)
common.verify_roundtrip(path, tensors)

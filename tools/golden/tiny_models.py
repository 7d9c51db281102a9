"""Tiny random causal LMs in Hugging Face layout plus PyTorch reference logits and greedy continuations.

Writes, under tests/ExpertMix.Models.Tests/Golden/:
  <model>/config.json + model.safetensors (or model-0000k-of-00002.safetensors + model.safetensors.index.json)
  <model>-logits.safetensors: input_ids [T], logits [T, V] (f32), prompt_ids, greedy_ids (I64)

The reference forward passes are plain torch mirroring transformers' modeling_gpt2.py / modeling_llama.py /
modeling_qwen2.py / modeling_qwen3.py / modeling_mistral.py (eager attention, float32), with the same state-dict
key names. Weights stored in bf16 are rounded first and the reference runs on the rounded values (upcast to f32),
so the C# side, which widens bf16 exactly, must match to f32 round-off.

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/tiny_models.py
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

SEED = 20241
SCRIPT = "tiny_models.py"
OUT = os.path.join(common.REPO_ROOT, "tests", "ExpertMix.Models.Tests", "Golden")
SEQ = [3, 17, 200, 45, 9, 120, 77, 5, 250, 33, 64, 128, 1, 99, 180, 42]   # reference logits input (T = 16)
PROMPT = [7, 101, 55, 230, 12, 90]                                        # greedy prompt
GREEDY = 12


# ---------------------------------------------------------------- Llama family (modeling_llama.py and variants)

def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def llama3_inv_freq(inv_freq, s):
    factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
    low_wavelen = old / low
    high_wavelen = old / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    is_medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
    return torch.where(is_medium, smoothed, inv_freq_llama)


def inv_freq_of(cfg, head_dim):
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    s = cfg.get("rope_scaling")
    if s is None:
        return inv
    kind = s.get("rope_type", s.get("type"))
    if kind == "linear":
        return inv / s["factor"]
    if kind == "llama3":
        return llama3_inv_freq(inv, s)
    raise ValueError(kind)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def causal_mask(t):
    return torch.full((t, t), float("-inf")).triu(1)


def llama_forward(cfg, sd, ids, variant):
    c = cfg["hidden_size"]
    h = cfg["num_attention_heads"]
    hkv = cfg.get("num_key_value_heads", h)
    dh = cfg.get("head_dim", c // h)
    eps = cfg["rms_norm_eps"]
    t = ids.shape[0]
    x = sd["model.embed_tokens.weight"][ids].unsqueeze(0)                      # [1, T, C]
    pos = torch.arange(t).float()
    freqs = torch.outer(pos, inv_freq_of(cfg, dh))                             # [T, Dh/2] (= inv_freq @ position_ids)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = causal_mask(t)

    def lin(name, v):
        w = sd[name + ".weight"]
        b = sd.get(name + ".bias")
        return torch.nn.functional.linear(v, w, b)

    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        r = x
        hs = rms_norm(x, sd[p + "input_layernorm.weight"], eps)
        q = lin(p + "self_attn.q_proj", hs).view(1, t, h, dh)
        k = lin(p + "self_attn.k_proj", hs).view(1, t, hkv, dh)
        v = lin(p + "self_attn.v_proj", hs).view(1, t, hkv, dh).transpose(1, 2)
        if variant == "qwen3":
            q = rms_norm(q, sd[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, sd[p + "self_attn.k_norm.weight"], eps)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(h // hkv, dim=1)                               # repeat_kv
        v = v.repeat_interleave(h // hkv, dim=1)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(dh) + mask
        att = torch.softmax(att, dim=-1, dtype=torch.float32)
        o = torch.matmul(att, v).transpose(1, 2).reshape(1, t, h * dh)
        x = r + lin(p + "self_attn.o_proj", o)
        r = x
        hs = rms_norm(x, sd[p + "post_attention_layernorm.weight"], eps)
        m = torch.nn.functional.silu(lin(p + "mlp.gate_proj", hs)) * lin(p + "mlp.up_proj", hs)
        x = r + lin(p + "mlp.down_proj", m)
    x = rms_norm(x, sd["model.norm.weight"], eps)
    head = sd["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else sd["lm_head.weight"]
    return (x @ head.t())[0]                                                   # [T, V]


def llama_weights(cfg, variant, gen):
    c = cfg["hidden_size"]
    h = cfg["num_attention_heads"]
    hkv = cfg.get("num_key_value_heads", h)
    dh = cfg.get("head_dim", c // h)
    inter = cfg["intermediate_size"]
    v = cfg["vocab_size"]
    qkv_bias = variant == "qwen2" or cfg.get("attention_bias", False)
    o_bias = variant != "qwen2" and cfg.get("attention_bias", False)
    mlp_bias = cfg.get("mlp_bias", False)

    def r(*shape, std=0.15):
        return torch.randn(*shape, generator=gen) * std

    def norm_w(n):
        return 1.0 + r(n, std=0.1)

    sd = {"model.embed_tokens.weight": r(v, c, std=0.5 if cfg.get("tie_word_embeddings") else 1.0)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        sd[p + "self_attn.q_proj.weight"] = r(h * dh, c)
        sd[p + "self_attn.k_proj.weight"] = r(hkv * dh, c)
        sd[p + "self_attn.v_proj.weight"] = r(hkv * dh, c)
        sd[p + "self_attn.o_proj.weight"] = r(c, h * dh)
        if qkv_bias:
            sd[p + "self_attn.q_proj.bias"] = r(h * dh)
            sd[p + "self_attn.k_proj.bias"] = r(hkv * dh)
            sd[p + "self_attn.v_proj.bias"] = r(hkv * dh)
        if o_bias:
            sd[p + "self_attn.o_proj.bias"] = r(c)
        if variant == "qwen3":
            sd[p + "self_attn.q_norm.weight"] = norm_w(dh)
            sd[p + "self_attn.k_norm.weight"] = norm_w(dh)
        sd[p + "mlp.gate_proj.weight"] = r(inter, c)
        sd[p + "mlp.up_proj.weight"] = r(inter, c)
        sd[p + "mlp.down_proj.weight"] = r(c, inter)
        if mlp_bias:
            sd[p + "mlp.gate_proj.bias"] = r(inter)
            sd[p + "mlp.up_proj.bias"] = r(inter)
            sd[p + "mlp.down_proj.bias"] = r(c)
        sd[p + "input_layernorm.weight"] = norm_w(c)
        sd[p + "post_attention_layernorm.weight"] = norm_w(c)
    sd["model.norm.weight"] = norm_w(c)
    if not cfg.get("tie_word_embeddings"):
        sd["lm_head.weight"] = r(v, c, std=0.5)
    return sd


# ---------------------------------------------------------------- GPT-2 (modeling_gpt2.py)

def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_forward(cfg, sd, ids):
    c, h = cfg["n_embd"], cfg["n_head"]
    dh = c // h
    eps = cfg["layer_norm_epsilon"]
    t = ids.shape[0]
    x = (sd["transformer.wte.weight"][ids] + sd["transformer.wpe.weight"][torch.arange(t)]).unsqueeze(0)
    mask = causal_mask(t)

    def conv1d(name, v):                                                       # Conv1D: x @ W[in, out] + b
        return torch.addmm(sd[name + ".bias"], v.reshape(-1, v.shape[-1]), sd[name + ".weight"]).view(*v.shape[:-1], -1)

    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        r = x
        hs = layer_norm(x, sd[p + "ln_1.weight"], sd[p + "ln_1.bias"], eps)
        q, k, v = conv1d(p + "attn.c_attn", hs).split(c, dim=2)
        q, k, v = (z.view(1, t, h, dh).transpose(1, 2) for z in (q, k, v))
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh) + mask
        att = torch.softmax(att, dim=-1)
        o = torch.matmul(att, v).transpose(1, 2).reshape(1, t, c)
        x = r + conv1d(p + "attn.c_proj", o)
        r = x
        hs = layer_norm(x, sd[p + "ln_2.weight"], sd[p + "ln_2.bias"], eps)
        x = r + conv1d(p + "mlp.c_proj", gelu_new(conv1d(p + "mlp.c_fc", hs)))
    x = layer_norm(x, sd["transformer.ln_f.weight"], sd["transformer.ln_f.bias"], eps)
    return (x @ sd["transformer.wte.weight"].t())[0]


def gpt2_weights(cfg, gen):
    c, v, n_pos = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    inner = cfg.get("n_inner") or 4 * c

    def r(*shape, std=0.15):
        return torch.randn(*shape, generator=gen) * std

    sd = {"transformer.wte.weight": r(v, c, std=0.4), "transformer.wpe.weight": r(n_pos, c, std=0.4)}
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        sd[p + "ln_1.weight"] = 1.0 + r(c, std=0.1)
        sd[p + "ln_1.bias"] = r(c, std=0.1)
        sd[p + "attn.c_attn.weight"] = r(c, 3 * c)
        sd[p + "attn.c_attn.bias"] = r(3 * c, std=0.1)
        sd[p + "attn.c_proj.weight"] = r(c, c)
        sd[p + "attn.c_proj.bias"] = r(c, std=0.1)
        sd[p + "ln_2.weight"] = 1.0 + r(c, std=0.1)
        sd[p + "ln_2.bias"] = r(c, std=0.1)
        sd[p + "mlp.c_fc.weight"] = r(c, inner)
        sd[p + "mlp.c_fc.bias"] = r(inner, std=0.1)
        sd[p + "mlp.c_proj.weight"] = r(inner, c)
        sd[p + "mlp.c_proj.bias"] = r(c, std=0.1)
    sd["transformer.ln_f.weight"] = 1.0 + r(c, std=0.1)
    sd["transformer.ln_f.bias"] = r(c, std=0.1)
    return sd


# ---------------------------------------------------------------- models

LLAMA_BASE = {"vocab_size": 256, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
              "num_attention_heads": 4, "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
              "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}

MODELS = [
    ("tiny-gpt2", "gpt2", {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 256, "n_embd": 64,
                           "n_layer": 2, "n_head": 4, "n_positions": 64, "n_ctx": 64, "n_inner": 128,
                           "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "bos_token_id": 0,
                           "eos_token_id": 0, "tie_word_embeddings": True, "torch_dtype": "float32"}, "F32", 1),
    ("tiny-llama", "llama", dict(LLAMA_BASE, architectures=["LlamaForCausalLM"], model_type="llama",
                                 num_key_value_heads=2, tie_word_embeddings=False, attention_bias=True, mlp_bias=True,
                                 rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}), "F32", 2),
    ("tiny-qwen2", "qwen2", dict(LLAMA_BASE, architectures=["Qwen2ForCausalLM"], model_type="qwen2",
                                 num_key_value_heads=2, tie_word_embeddings=True, rms_norm_eps=1e-6,
                                 rope_theta=1000000.0, torch_dtype="bfloat16", use_sliding_window=False), "BF16", 1),
    ("tiny-qwen3", "qwen3", dict(LLAMA_BASE, architectures=["Qwen3ForCausalLM"], model_type="qwen3",
                                 num_key_value_heads=2, head_dim=32, tie_word_embeddings=False, attention_bias=False,
                                 rms_norm_eps=1e-6, rope_theta=1000000.0), "F32", 1),
    ("tiny-mistral", "mistral", dict(LLAMA_BASE, architectures=["MistralForCausalLM"], model_type="mistral",
                                     num_key_value_heads=1, head_dim=16, tie_word_embeddings=False,
                                     rope_scaling={"type": "linear", "factor": 2.0}, sliding_window=None), "F32", 1),
]


def write_checkpoint(folder, sd, dtype, shards, meta):
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        if f.endswith(".safetensors") or f.endswith(".json"):
            os.remove(os.path.join(folder, f))
    stored = {k: (v.to(torch.bfloat16) if dtype == "BF16" else v.float()) for k, v in sd.items()}
    if shards == 1:
        path = os.path.join(folder, "model.safetensors")
        common.save(path, stored, meta)
        common.verify_roundtrip(path, stored)
    else:
        names = sorted(stored)
        half = (len(names) + 1) // 2
        weight_map = {}
        total = 0
        for k, part in enumerate([names[:half], names[half:]]):
            fname = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            chunk = {n: stored[n] for n in part}
            common.save(os.path.join(folder, fname), chunk, meta)
            common.verify_roundtrip(os.path.join(folder, fname), chunk)
            for n in part:
                weight_map[n] = fname
                total += chunk[n].numel() * chunk[n].element_size()
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
            f.write("\n")
    # the reference computes on exactly the stored values
    return {k: v.float() for k, v in stored.items()}


def main():
    common.setup(SEED)
    meta = common.base_metadata(SCRIPT, SEED)
    for name, kind, cfg, dtype, shards in MODELS:
        gen = torch.Generator().manual_seed(SEED + sum(map(ord, name)))
        sd = gpt2_weights(cfg, gen) if kind == "gpt2" else llama_weights(cfg, kind, gen)
        folder = os.path.join(OUT, name)
        sd = write_checkpoint(folder, sd, dtype, shards, dict(meta, model=name))
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")

        def forward(ids):
            with torch.no_grad():
                x = torch.tensor(ids, dtype=torch.int64)
                return gpt2_forward(cfg, sd, x) if kind == "gpt2" else llama_forward(cfg, sd, x, kind)

        logits = forward(SEQ)
        seq = list(PROMPT)
        margins = []
        for _ in range(GREEDY):
            last = forward(seq)[-1]
            top = torch.topk(last, 2).values
            margins.append(float(top[0] - top[1]))
            seq.append(int(torch.argmax(last)))
        assert min(margins) > 1e-3, f"{name}: greedy margin {min(margins)} too small for an exact-token test"
        print(f"{name}: logits range [{logits.min():.3f}, {logits.max():.3f}], greedy {seq[len(PROMPT):]}, "
              f"min margin {min(margins):.4f}", file=sys.stderr)
        out = {
            "input_ids": torch.tensor(SEQ, dtype=torch.int64),
            "logits": logits.float(),
            "prompt_ids": torch.tensor(PROMPT, dtype=torch.int64),
            "greedy_ids": torch.tensor(seq[len(PROMPT):], dtype=torch.int64),
        }
        path = os.path.join(OUT, f"{name}-logits.safetensors")
        common.save(path, out, dict(meta, model=name, dtype=dtype))
        common.verify_roundtrip(path, out)


if __name__ == "__main__":
    main()

"""X-LoRA goldens: checkpoint fixtures (original xlora and PEFT layouts) for the tiny models, forward references
(scalings, scaling-pass hidden state, real-pass logits, one-hot checks) and a 5-step gate-only training trajectory,
all in plain PyTorch mirroring PEFT `tuners/xlora` and EricLBuehler/xlora (no peft/transformers needed).

Semantics (docs/xlora.md §1, §3, §4):
  layers   every linear module (not lm_head) wrapped by ANY expert, in HF registration order
           (Llama per block q,k,v,o,gate,up,down; GPT-2 attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj); L = count.
  module   y = W x (+bias) + sum_i g * s_i * B_i(A_i(lam[:, :, l, i] * x)), g = global_scaling_weight,
           s_i = alpha/r (rsLoRA alpha/sqrt(r)); an expert absent from the module adds nothing. GPT-2 Conv1D keeps
           A [r, in], B [out, r]; only W is stored [in, out].
  scaling pass (no grad)  the module formula with lam = c everywhere (c = scaling_pass_value, null -> 1/n). As in
           both references, g still multiplies the expert outputs in this pass (effective factor c*g), and top-k /
           softmax-topk apply to the constant row (ties -> lower index: with k of n equal values the first k). h = last hidden
           state AFTER the final norm (llama model.norm, gpt2 ln_f).
  classifier  depth 1: Linear(H -> n*Lx); depth d >= 2: Linear(H -> S), [ReLU, Dropout], (d-2) x [Linear(S -> S),
           ReLU, Dropout], Linear(S -> n*Lx); Lx = L if layerwise else 1; logits [b,s,n*Lx] -> [b,s,Lx,n]
           (unit o = l*n + i) -> expanded to [b,s,L,n] -> softmax(logits / T) if enable_softmax. = lam ("scalings").
  top-k    per (b,t,l) keep the k largest lam (ties -> lower expert index), zero the rest; with enable_softmax_topk a
           softmax over the kept entries per token (the others -inf -> 0).

Writes under tests/ExpertMix.Adapters.Tests/Golden/:
  xlora-tiny-llama/       original layout: xlora_config.json, xlora_classifier.safetensors, experts a, b, c
  xlora-tiny-gpt2/        original layout, experts a, b, c
  xlora-tiny-llama-peft/  the llama classifier in PEFT layout (adapter_config.json + adapter_model.safetensors)
  xlora-forward-tiny-{llama,gpt2}.safetensors   input_ids [2,8], scalings [2,8,L,n], hidden_scaling_pass [2,8,H],
                          logits [2,8,V], logits_onehot_<i> [2,8,V] (+ scalings_topk for gpt2); metadata layers,
                          adapters, config, expert_scalings
  xlora-train-tiny-llama.safetensors   input_ids [2,10], losses [5] (F64), init.<key>, final.<key>

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/xlora.py
"""
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import lora as lr  # noqa: E402
import tiny_models as tm  # noqa: E402

SEED = 7117
SCRIPT = "xlora.py"
OUT = lr.OUT
LLAMA_PROJ = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
              "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
GPT2_PROJ = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"]
ADAPTERS = ["a", "b", "c"]
# the new expert "c" per model: (targets, r, alpha, rslora)
EXPERT_C = {
    "tiny-llama": (["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], 2, 4.0, False),
    "tiny-gpt2": (["c_attn", "c_fc"], 2, 3.0, False),
}
# the X-LoRA configuration per model (original xlora field names; see original_config for the file order)
XCFG = {
    "tiny-llama": dict(xlora_depth=2, xlora_size=16, layerwise_scalings=True, enable_softmax=True,
                       softmax_temperature=0.7, enable_relu_and_dropout=True, xlora_dropout_p=0.2, use_bias=True,
                       top_k_lora=None, enable_softmax_topk=False, scaling_pass_value=0.0,
                       global_scaling_weight=1.0, use_trainable_adapters=False, stop_token_id=None),
    "tiny-gpt2": dict(xlora_depth=1, xlora_size=16, layerwise_scalings=False, enable_softmax=True,
                      softmax_temperature=1.0, enable_relu_and_dropout=True, xlora_dropout_p=0.2, use_bias=True,
                      top_k_lora=2, enable_softmax_topk=True, scaling_pass_value=None,
                      global_scaling_weight=0.8, use_trainable_adapters=False, stop_token_id=None),
}
LAST_SCALE = {"tiny-llama": 3.0, "tiny-gpt2": 3.0}   # last Linear x this after init, so lam is clearly non-uniform
BATCH, SEQLEN = 2, 8
TRAIN_SEQLEN, TRAIN_STEPS, TRAIN_LR = 10, 5, 1e-2


# ---------------------------------------------------------------- hookable forwards (batched, lin callback)

def llama_forward(cfg, sd, ids, lin):
    """modeling_llama.py (as tm.llama_forward, batched [b, s]); lin(name, x) computes every projection.
    Returns (hidden after model.norm [b,s,H], logits [b,s,V])."""
    c = cfg["hidden_size"]
    h = cfg["num_attention_heads"]
    hkv = cfg.get("num_key_value_heads", h)
    dh = cfg.get("head_dim", c // h)
    eps = cfg["rms_norm_eps"]
    b, t = ids.shape
    x = sd["model.embed_tokens.weight"][ids]                                   # [b, T, C]
    pos = torch.arange(t).float()
    freqs = torch.outer(pos, tm.inv_freq_of(cfg, dh))
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = tm.causal_mask(t)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        r = x
        hs = tm.rms_norm(x, sd[p + "input_layernorm.weight"], eps)
        q = lin(p + "self_attn.q_proj", hs).view(b, t, h, dh).transpose(1, 2)
        k = lin(p + "self_attn.k_proj", hs).view(b, t, hkv, dh).transpose(1, 2)
        v = lin(p + "self_attn.v_proj", hs).view(b, t, hkv, dh).transpose(1, 2)
        q = q * cos + tm.rotate_half(q) * sin
        k = k * cos + tm.rotate_half(k) * sin
        k = k.repeat_interleave(h // hkv, dim=1)
        v = v.repeat_interleave(h // hkv, dim=1)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(dh) + mask
        att = torch.softmax(att, dim=-1, dtype=torch.float32)
        o = torch.matmul(att, v).transpose(1, 2).reshape(b, t, h * dh)
        x = r + lin(p + "self_attn.o_proj", o)
        r = x
        hs = tm.rms_norm(x, sd[p + "post_attention_layernorm.weight"], eps)
        m = F.silu(lin(p + "mlp.gate_proj", hs)) * lin(p + "mlp.up_proj", hs)
        x = r + lin(p + "mlp.down_proj", m)
    x = tm.rms_norm(x, sd["model.norm.weight"], eps)
    head = sd["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else sd["lm_head.weight"]
    return x, x @ head.t()


def gpt2_forward(cfg, sd, ids, lin):
    """modeling_gpt2.py (as tm.gpt2_forward, batched [b, s]). Returns (hidden after ln_f, logits)."""
    c, h = cfg["n_embd"], cfg["n_head"]
    dh = c // h
    eps = cfg["layer_norm_epsilon"]
    b, t = ids.shape
    x = sd["transformer.wte.weight"][ids] + sd["transformer.wpe.weight"][torch.arange(t)]
    mask = tm.causal_mask(t)
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        r = x
        hs = tm.layer_norm(x, sd[p + "ln_1.weight"], sd[p + "ln_1.bias"], eps)
        q, k, v = lin(p + "attn.c_attn", hs).split(c, dim=2)
        q, k, v = (z.view(b, t, h, dh).transpose(1, 2) for z in (q, k, v))
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh) + mask
        att = torch.softmax(att, dim=-1)
        o = torch.matmul(att, v).transpose(1, 2).reshape(b, t, c)
        x = r + lin(p + "attn.c_proj", o)
        r = x
        hs = tm.layer_norm(x, sd[p + "ln_2.weight"], sd[p + "ln_2.bias"], eps)
        x = r + lin(p + "mlp.c_proj", tm.gelu_new(lin(p + "mlp.c_fc", hs)))
    x = tm.layer_norm(x, sd["transformer.ln_f.weight"], sd["transformer.ln_f.bias"], eps)
    return x, x @ sd["transformer.wte.weight"].t()


def base_lin(kind, sd):
    if kind == "gpt2":
        def lin(name, v):                                                      # Conv1D: x @ W[in, out] + b
            flat = torch.addmm(sd[name + ".bias"], v.reshape(-1, v.shape[-1]), sd[name + ".weight"])
            return flat.view(*v.shape[:-1], -1)
    else:
        def lin(name, v):
            return F.linear(v, sd[name + ".weight"], sd.get(name + ".bias"))
    return lin


def model_forward(kind, cfg, sd, ids, lin):
    return gpt2_forward(cfg, sd, ids, lin) if kind == "gpt2" else llama_forward(cfg, sd, ids, lin)


def registration_order(kind, cfg):
    if kind == "gpt2":
        return [f"transformer.h.{i}.{m}" for i in range(cfg["n_layer"]) for m in GPT2_PROJ]
    return [f"model.layers.{i}.{m}" for i in range(cfg["num_hidden_layers"]) for m in LLAMA_PROJ]


# ---------------------------------------------------------------- X-LoRA pieces

def xlora_lin(base, layer_index, experts, lam, g):
    """The X-LoRA module forward: base(x) + sum_i B_i(A_i(x * lam_l,i)) * s_i * g (PEFT XLoraLinearLayer order)."""
    def lin(name, x):
        y = base(name, x)
        layer = layer_index.get(name)
        if layer is None:
            return y
        lam_l = lam[:, :, layer, :]                                            # [b, s, n]
        for i, (fac, s) in enumerate(experts):
            if name in fac:
                a, bm = fac[name]
                y = y + F.linear(F.linear(x * lam_l[:, :, i:i + 1], a), bm) * s * g
        return y
    return lin


def xlora_lin_rank_space(base, layer_index, experts, lam, g):
    """Independent check: the fused form (scale in rank space, one concatenated A and B per module)."""
    def lin(name, x):
        y = base(name, x)
        layer = layer_index.get(name)
        if layer is None:
            return y
        a_cat, b_cat, cols = [], [], []
        for i, (fac, s) in enumerate(experts):
            if name in fac:
                a, bm = fac[name]
                a_cat.append(a)
                b_cat.append(bm)
                cols.append(lam[:, :, layer, i:i + 1].expand(-1, -1, a.shape[0]) * (g * s))
        if not a_cat:
            return y
        z = F.linear(x, torch.cat(a_cat)) * torch.cat(cols, dim=-1)            # [b, s, sum r]
        return y + F.linear(z, torch.cat(b_cat, dim=1))
    return lin


def top_k(lam, k, softmax_topk):
    """Per (b, t, l): keep the k largest (stable descending sort: ties -> lower index); optional per-token softmax."""
    idx = torch.sort(lam, dim=-1, descending=True, stable=True).indices[..., :k]
    mask = torch.zeros_like(lam, dtype=torch.bool).scatter_(-1, idx, True)
    if softmax_topk:
        return torch.softmax(lam.masked_fill(~mask, float("-inf")), dim=-1)
    return lam * mask.to(lam.dtype)


def head_keys(xc):
    """(original key, PEFT key) for every classifier Linear in order (hidden Linears then last)."""
    d = xc["xlora_depth"]
    slot = 3 if xc["enable_relu_and_dropout"] else 1                           # original: inner counts ReLU, Dropout
    q = 3 if xc["xlora_dropout_p"] > 0 else 2                                  # PEFT: ReLU always, Dropout iff p > 0
    keys = [(f"inner.{k * slot}", f"base_model.internal_xlora_classifier.layers.{k * q}") for k in range(d - 1)]
    keys.append(("last", f"base_model.internal_xlora_classifier.layers.{(d - 1) * q}"))
    return keys


def init_head(xc, hidden, n, nl, last_scale, gen):
    """torch Linear init, weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the last Linear scaled."""
    d, size = xc["xlora_depth"], xc["xlora_size"]
    lx = nl if xc["layerwise_scalings"] else 1
    dims = [hidden] + [size] * (d - 1) + [n * lx]
    params = {}
    for j, (orig, _) in enumerate(head_keys(xc)):
        fin, fout = dims[j], dims[j + 1]
        bound = 1.0 / math.sqrt(fin)
        w = (torch.rand(fout, fin, generator=gen) * 2 - 1) * bound
        b = (torch.rand(fout, generator=gen) * 2 - 1) * bound
        if orig == "last":
            w, b = w * last_scale, b * last_scale
        params[orig + ".weight"], params[orig + ".bias"] = w, b
    return params


def classifier(xc, params, h, n, nl, train=False):
    """h [b,s,H] -> lam [b,s,L,n]. Dropout only in training (the train fixture uses p = 0)."""
    b, s, _ = h.shape
    x = h
    for orig, _ in head_keys(xc)[:-1]:
        x = F.linear(x, params[orig + ".weight"], params[orig + ".bias"])
        if xc["enable_relu_and_dropout"]:
            x = F.dropout(torch.relu(x), p=xc["xlora_dropout_p"], training=train)
    logits = F.linear(x, params["last.weight"], params["last.bias"])            # [b, s, n*Lx]
    if not xc["layerwise_scalings"]:
        logits = logits.unsqueeze(2).expand(-1, -1, nl, -1)
    lam = logits.reshape(b, s, nl, n)
    if xc["enable_softmax"]:
        lam = torch.softmax(lam / xc["softmax_temperature"], dim=-1)
    return lam


def scaling_pass_value(xc, n):
    return 1.0 / n if xc["scaling_pass_value"] is None else xc["scaling_pass_value"]


def xlora_forward(kind, cfg, sd, ids, xc, params, experts, layers, train=False, override=None):
    """Both passes. Returns (h, lam (before top-k), lam used in the real pass, logits)."""
    n, nl = len(experts), len(layers)
    index = {p: j for j, p in enumerate(layers)}
    base = base_lin(kind, sd)
    g = xc["global_scaling_weight"]
    b, s = ids.shape
    with torch.no_grad():
        dummy = torch.full((b, s, nl, n), scaling_pass_value(xc, n))
        if xc["top_k_lora"] is not None:                # PEFT's layers run get_maybe_topk_scalings on the dummy too
            dummy = top_k(dummy, xc["top_k_lora"], xc["enable_softmax_topk"])
        h, _ = model_forward(kind, cfg, sd, ids, xlora_lin(base, index, experts, dummy, g))
    lam = classifier(xc, params, h, n, nl, train)
    if override is not None:
        used = override
    elif xc["top_k_lora"] is not None:
        used = top_k(lam, xc["top_k_lora"], xc["enable_softmax_topk"])
    else:
        used = lam
    _, logits = model_forward(kind, cfg, sd, ids, xlora_lin(base, index, experts, used, g))
    return h, lam, used, logits


# ---------------------------------------------------------------- files

def original_config(xc, hidden, base_id):
    """xlora_config.json as EricLBuehler/xlora writes it: json.dump(config.__dict__ minus device), adapters as a list
    of names, in the dataclass field order (stop_token_id where the older dataclass had it)."""
    order = ["hidden_size", "base_model_id", "adapters", "enable_softmax", "enable_softmax_topk", "layerwise_scalings",
             "xlora_depth", "xlora_size", "enable_relu_and_dropout", "use_bias", "xlora_dropout_p", "stop_token_id",
             "use_trainable_adapters", "softmax_temperature", "top_k_lora", "scaling_pass_value",
             "global_scaling_weight"]
    full = dict(xc, hidden_size=hidden, base_model_id=base_id, adapters=list(ADAPTERS))
    return {k: full[k] for k in order}


def peft_config(xc, hidden, base_id, rel):
    """adapter_config.json as PEFT writes an XLoraConfig (asdict, indent 2, sort_keys): PeftConfig base fields plus
    the XLoraConfig fields. Current PEFT has no enable_relu_and_dropout / use_bias / stop_token_id fields."""
    fields = ["enable_softmax", "enable_softmax_topk", "layerwise_scalings", "xlora_depth", "xlora_size",
              "xlora_dropout_p", "use_trainable_adapters", "softmax_temperature", "top_k_lora", "scaling_pass_value",
              "global_scaling_weight"]
    out = {k: xc[k] for k in fields}
    out.update({"auto_mapping": None, "base_model_name_or_path": base_id, "revision": None, "peft_type": "XLORA",
                "task_type": "CAUSAL_LM", "inference_mode": True, "peft_version": "0.15.2", "hidden_size": hidden,
                "adapters": {a: f"{rel}/{a}" for a in ADAPTERS}})
    return out


def write_json(path, obj, indent):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent, sort_keys=indent is not None)
        f.write("\n")


def load_expert(folder):
    with open(os.path.join(folder, "adapter_config.json")) as f:
        acfg = json.load(f)
    tensors, _ = common.load(os.path.join(folder, "adapter_model.safetensors"))
    fac = {}
    for key in tensors:
        if key.endswith(".lora_A.weight"):
            path = key[len("base_model.model."): -len(".lora_A.weight")]
            fac[path] = (tensors[key], tensors[key.replace("lora_A", "lora_B")])
    return fac, lr.scaling(acfg["r"], acfg["lora_alpha"], acfg["use_rslora"])


def build_fixture(name, kind, cfg, sd, gen):
    """Writes xlora-<name>/ (original layout) and returns (experts [(fac, s)], layers, xc, params)."""
    folder = os.path.join(OUT, f"xlora-{name}")
    os.makedirs(folder, exist_ok=True)
    for an in ("a", "b"):
        dst = os.path.join(folder, an)
        os.makedirs(dst, exist_ok=True)
        for fn in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copyfile(os.path.join(OUT, f"peft-{name}-{an}", fn), os.path.join(dst, fn))
    targets, r, alpha, rslora = EXPERT_C[name]
    fac_c = lr.make_adapter(lr.linear_modules(cfg, sd, kind), targets, r, gen)
    lr.save_adapter(os.path.join(folder, "c"), fac_c, lr.peft_config(targets, r, alpha, rslora, kind == "gpt2", name))
    experts = [load_expert(os.path.join(folder, an)) for an in ADAPTERS]
    order = registration_order(kind, cfg)
    layers = [p for p in order if any(p in fac for fac, _ in experts)]
    for fac, _ in experts:
        assert set(fac) <= set(layers) and fac, "every expert binds >= 1 known module"
    xc = XCFG[name]
    hidden = cfg["hidden_size"] if kind != "gpt2" else cfg["n_embd"]
    params = init_head(xc, hidden, len(experts), len(layers), LAST_SCALE[name], gen)
    write_json(os.path.join(folder, "xlora_config.json"), original_config(xc, hidden, name), None)
    path = os.path.join(folder, "xlora_classifier.safetensors")
    common.save(path, params, {"format": "pt"})
    common.verify_roundtrip(path, params)
    return experts, layers, xc, params, hidden


def write_peft_copy(name, xc, params, hidden):
    folder = os.path.join(OUT, f"xlora-{name}-peft")
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "adapter_config.json"), peft_config(xc, hidden, name, f"../xlora-{name}"), 2)
    tensors = {}
    for orig, peft in head_keys(xc):
        for suffix in (".weight", ".bias"):
            tensors[peft + suffix] = params[orig + suffix]
    path = os.path.join(folder, "adapter_model.safetensors")
    common.save(path, tensors, {"format": "pt"})
    common.verify_roundtrip(path, tensors)


def check_base_forward(kind, cfg, sd, ids):
    """The hookable forward with no adapters equals tiny_models' forward (row by row within 1e-6); the batched call
    equals the row-by-row calls up to f32 round-off of the batched matmuls (relative 1e-6 of the logit range)."""
    lin = base_lin(kind, sd)
    _, batched = model_forward(kind, cfg, sd, ids, lin)
    for row in range(ids.shape[0]):
        ref = tm.gpt2_forward(cfg, sd, ids[row]) if kind == "gpt2" else tm.llama_forward(cfg, sd, ids[row], kind)
        _, mine = model_forward(kind, cfg, sd, ids[row:row + 1], lin)
        err = float((mine[0] - ref).abs().max())
        assert err <= 1e-6, f"hookable {kind} forward differs from tiny_models by {err}"
        err = float((batched[row] - ref).abs().max())
        assert err <= 1e-6 * float(ref.abs().max()), f"batched {kind} forward differs from tiny_models by {err}"


def forward_file(name, kind, cfg, sd, experts, layers, xc, params, gen, meta):
    n, nl = len(experts), len(layers)
    ids = torch.randint(0, cfg["vocab_size"], (BATCH, SEQLEN), generator=gen)
    with torch.no_grad():
        check_base_forward(kind, cfg, sd, ids)
        h, lam, used, logits = xlora_forward(kind, cfg, sd, ids, xc, params, experts, layers)
        sums = lam.sum(-1)
        assert float((sums - 1).abs().max()) < 1e-6, "softmax sums to 1"
        if xc["scaling_pass_value"] == 0.0:
            h_base, _ = model_forward(kind, cfg, sd, ids, base_lin(kind, sd))
            assert torch.equal(h, h_base), "c = 0: the scaling pass is the base model bit for bit"
        if xc["top_k_lora"] is not None:
            assert bool(((used != 0).sum(-1) == xc["top_k_lora"]).all()), "top-k keeps exactly k"
            assert float((used.sum(-1) - 1).abs().max()) < 1e-6, "softmax-topk sums to 1"
        index = {p: j for j, p in enumerate(layers)}
        _, fused = model_forward(kind, cfg, sd, ids, xlora_lin_rank_space(base_lin(kind, sd), index, experts, used,
                                                                           xc["global_scaling_weight"]))
        assert float((fused - logits).abs().max()) < 1e-5, "rank-space form matches the per-expert loop"
        out = {"input_ids": ids, "scalings": lam, "hidden_scaling_pass": h, "logits": logits}
        if xc["top_k_lora"] is not None:
            out["scalings_topk"] = used
        mods = lr.linear_modules(cfg, sd, kind)
        worst = 0.0
        for i in range(n):
            onehot = torch.zeros(BATCH, SEQLEN, nl, n)
            onehot[..., i] = 1.0
            _, _, _, lo = xlora_forward(kind, cfg, sd, ids, xc, params, experts, layers, override=onehot)
            fac, s = experts[i]
            folded = lr.apply(sd, mods, [(fac, s, xc["global_scaling_weight"])])
            _, ref = model_forward(kind, cfg, folded, ids, base_lin(kind, folded))
            err = float((lo - ref).abs().max())
            assert err < 1e-6 * float(ref.abs().max()), f"one-hot expert {i} vs plain LoRA at weight g: {err}"
            worst = max(worst, err / float(ref.abs().max()))
            out[f"logits_onehot_{i}"] = lo
    md = dict(meta, model=name, fixture=f"xlora-{name}", layers=json.dumps(layers), adapters=json.dumps(ADAPTERS),
              config=json.dumps(original_config(xc, h.shape[-1], name)),
              expert_scalings=json.dumps([s for _, s in experts]))
    path = os.path.join(OUT, f"xlora-forward-{name}.safetensors")
    common.save(path, out, md)
    common.verify_roundtrip(path, out)
    spread = (lam.max(-1).values - lam.min(-1).values)
    print(f"{name}: L = {nl}, n = {n}, layers {layers[0]} .. {layers[-1]}; lam in [{float(lam.min()):.3f}, "
          f"{float(lam.max()):.3f}], mean max-min per (b,t,l) {float(spread.mean()):.3f}; |logits| <= "
          f"{float(logits.abs().max()):.2f}; one-hot vs folded LoRA: max rel err {worst:.2e}", file=sys.stderr)


def train_file(name, kind, cfg, sd, experts, layers, xc0, params0, gen, meta):
    """5 AdamW steps on the classifier only; p = 0 so it is deterministic; scaling pass under no_grad."""
    xc = dict(xc0, xlora_dropout_p=0.0)
    ids = torch.randint(0, cfg["vocab_size"], (BATCH, TRAIN_SEQLEN), generator=gen)
    params = {k: v.clone().requires_grad_(True) for k, v in params0.items()}
    opt = torch.optim.AdamW(list(params.values()), lr=TRAIN_LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    losses = []
    for _ in range(TRAIN_STEPS):
        opt.zero_grad()
        _, _, _, logits = xlora_forward(kind, cfg, sd, ids, xc, params, experts, layers, train=True)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(float(loss))
    out = {"input_ids": ids, "losses": torch.tensor(losses, dtype=torch.float64)}
    for k in params0:
        out[f"init.{k}"] = params0[k]
        out[f"final.{k}"] = params[k].detach().clone()
    optim = {"optimizer": "AdamW", "lr": TRAIN_LR, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
             "steps": TRAIN_STEPS, "clip": None,
             "loss": "mean next-token cross-entropy over all b*(s-1) positions of the real pass"}
    md = dict(meta, model=name, fixture=f"xlora-{name}", layers=json.dumps(layers), adapters=json.dumps(ADAPTERS),
              config=json.dumps(original_config(xc, cfg["hidden_size"], name)), optimizer=json.dumps(optim),
              params=json.dumps(sorted(params0)))
    path = os.path.join(OUT, f"xlora-train-{name}.safetensors")
    common.save(path, out, md)
    common.verify_roundtrip(path, out)
    print(f"{name} training (p = 0): losses {', '.join(f'{v:.6f}' for v in losses)}", file=sys.stderr)


def main():
    common.setup(SEED)
    meta = common.base_metadata(SCRIPT, SEED)
    for name in ("tiny-llama", "tiny-gpt2"):
        kind = "gpt2" if "gpt2" in name else "llama"
        cfg, sd = lr.load_model(name)
        gen = torch.Generator().manual_seed(SEED + sum(map(ord, name)))
        experts, layers, xc, params, hidden = build_fixture(name, kind, cfg, sd, gen)
        count = sum(v.numel() for v in params.values())
        print(f"{name}: classifier {count} parameters ({', '.join(f'{k} {list(v.shape)}' for k, v in params.items())})",
              file=sys.stderr)
        if name == "tiny-llama":
            write_peft_copy(name, xc, params, hidden)
        forward_file(name, kind, cfg, sd, experts, layers, xc, params, gen, meta)
        if name == "tiny-llama":
            train_file(name, kind, cfg, sd, experts, layers, xc, params, gen, meta)


if __name__ == "__main__":
    main()

"""LoRA goldens: PEFT-layout adapter fixtures for the tiny models, the logits with adapters applied, and a 10-step
LoRA training trajectory (AdamW), all in plain PyTorch mirroring PEFT's LoRA math.

PEFT LoRA (peft/tuners/lora/layer.py): y = base(x) + s * B(A(dropout(x))), s = lora_alpha / r (rsLoRA: / sqrt(r)),
A [r, in], B [out, r]; GPT-2 Conv1D keeps the same A/B shapes (fan_in_fan_out only transposes on merge). Saved as
adapter_model.safetensors with keys base_model.model.<module>.lora_A.weight / lora_B.weight, metadata {"format": "pt"},
and an adapter_config.json with the fields PEFT 0.13 writes. The forward here applies each adapter by adding
s * B @ A to the (f32) weight, which equals PEFT's unmerged forward up to f32 round-off.

Writes under tests/ExpertMix.Adapters.Tests/Golden/:
  peft-<model>-<name>/adapter_config.json + adapter_model.safetensors   (two adapters per model, "init false" factors)
  lora-logits-<model>.safetensors: input_ids, logits_base, logits_a (adapter a), logits_ab (a at 1.0 + b at -0.5)
  lora-train-<model>.safetensors: batch ids, initial and final factors, per-step losses (10 AdamW steps)

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/lora.py
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import tiny_models as tm  # noqa: E402

SEED = 4040
SCRIPT = "lora.py"
OUT = os.path.join(common.REPO_ROOT, "tests", "ExpertMix.Adapters.Tests", "Golden")
MODELS_DIR = os.path.join(common.REPO_ROOT, "tests", "ExpertMix.Models.Tests", "Golden")
SEQ = [3, 17, 200, 45, 9, 120, 77, 5, 250, 33, 64, 128, 1, 99, 180, 42]
# adapter specs per model: (name, targets (module suffixes), r, alpha, rslora)
SPECS = {
    "tiny-gpt2": [("a", ["c_attn", "c_proj"], 4, 16.0, False), ("b", ["c_fc", "attn.c_proj"], 2, 4.0, True)],
    "tiny-llama": [("a", ["q_proj", "v_proj"], 4, 8.0, False), ("b", ["o_proj", "down_proj", "q_proj"], 3, 6.0, True)],
}
TRAIN = {"tiny-gpt2": ("a", 0.01), "tiny-llama": ("a", 0.01)}   # adapter trained, lr
STEPS = 10


def load_model(name):
    folder = os.path.join(MODELS_DIR, name)
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    sd = {}
    for fn in sorted(os.listdir(folder)):
        if fn.endswith(".safetensors"):
            part, _ = common.load(os.path.join(folder, fn))
            sd.update({k: v.float() for k, v in part.items()})
    return cfg, sd


def linear_modules(cfg, sd, kind):
    """(module path, in, out, is_conv1d) for every projection except the head, from the state dict."""
    mods = []
    for k, w in sd.items():
        if not k.endswith(".weight") or w.dim() != 2 or "wte" in k or "wpe" in k or "embed_tokens" in k or k == "lm_head.weight":
            continue
        path = k[: -len(".weight")]
        if kind == "gpt2":
            mods.append((path, w.shape[0], w.shape[1], True))     # Conv1D stores [in, out]
        else:
            mods.append((path, w.shape[1], w.shape[0], False))
    return sorted(mods)


def matches(path, targets):
    return any(path == t or path.endswith("." + t) for t in targets)


def make_adapter(mods, targets, r, gen):
    """init_lora_weights=False-style factors: A kaiming-uniform bound 1/sqrt(in), B uniform bound 1/sqrt(r)."""
    fac = {}
    for path, fin, fout, _ in mods:
        if matches(path, targets):
            a = (torch.rand(r, fin, generator=gen) * 2 - 1) / math.sqrt(fin)
            b = (torch.rand(fout, r, generator=gen) * 2 - 1) / math.sqrt(r)
            fac[path] = (a, b)
    return fac


def apply(sd, mods, adapters):
    """sd with W += w * s * B @ A for each (factors, s, w); Conv1D transposes the delta (module type, not shape)."""
    out = dict(sd)
    conv = {p: c for p, _, _, c in mods}
    for fac, s, w in adapters:
        for path, (a, b) in fac.items():
            d = w * s * (b @ a)
            key = path + ".weight"
            out[key] = out[key] + (d.t() if conv[path] else d)
    return out


def forward(kind, cfg, sd, ids):
    x = torch.tensor(ids, dtype=torch.int64)
    return tm.gpt2_forward(cfg, sd, x) if kind == "gpt2" else tm.llama_forward(cfg, sd, x, kind)


def peft_config(targets, r, alpha, rslora, fan_in_fan_out, base):
    return {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": base, "bias": "none",
        "corda_config": None, "eva_config": None, "exclude_modules": None, "fan_in_fan_out": fan_in_fan_out,
        "inference_mode": True, "init_lora_weights": False, "layer_replication": None, "layers_pattern": None,
        "layers_to_transform": None, "loftq_config": {}, "lora_alpha": alpha, "lora_bias": False, "lora_dropout": 0.0,
        "megatron_config": None, "megatron_core": "megatron.core", "modules_to_save": None, "peft_type": "LORA",
        "peft_version": "0.15.2", "r": r, "rank_pattern": {}, "revision": None, "target_modules": sorted(targets),
        "task_type": "CAUSAL_LM", "trainable_token_indices": None, "use_dora": False, "use_rslora": rslora,
    }


def save_adapter(folder, fac, cfgjson):
    os.makedirs(folder, exist_ok=True)
    tensors = {}
    for path, (a, b) in fac.items():
        tensors[f"base_model.model.{path}.lora_A.weight"] = a
        tensors[f"base_model.model.{path}.lora_B.weight"] = b
    common.save(os.path.join(folder, "adapter_model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(cfgjson, f, indent=2, sort_keys=True)
        f.write("\n")


def scaling(r, alpha, rslora):
    return alpha / math.sqrt(r) if rslora else alpha / r


def train(kind, cfg, sd, mods, fac, s, lr, gen):
    """10 AdamW steps on the adapter's factors; batch of 2 sequences, loss = mean next-token CE over both."""
    v = cfg["vocab_size"]
    batch = torch.randint(0, v, (2, 12), generator=gen)
    params = {p: (a.clone().requires_grad_(True), b.clone().requires_grad_(True)) for p, (a, b) in fac.items()}
    flat = [t for ab in params.values() for t in ab]
    opt = torch.optim.AdamW(flat, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        w = apply(sd, mods, [(params, s, 1.0)])
        logits = torch.cat([forward(kind, cfg, w, row.tolist())[:-1] for row in batch])   # [2*11, V]
        targets = torch.cat([row[1:] for row in batch])
        loss = torch.nn.functional.cross_entropy(logits, targets)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return batch, losses, {p: (a.detach(), b.detach()) for p, (a, b) in params.items()}


def main():
    common.setup(SEED)
    meta = common.base_metadata(SCRIPT, SEED)
    for name, specs in SPECS.items():
        kind = "gpt2" if "gpt2" in name else "llama"
        cfg, sd = load_model(name)
        mods = linear_modules(cfg, sd, kind)
        gen = torch.Generator().manual_seed(SEED + sum(map(ord, name)))
        adapters = {}
        for an, targets, r, alpha, rslora in specs:
            fac = make_adapter(mods, targets, r, gen)
            adapters[an] = (fac, scaling(r, alpha, rslora))
            save_adapter(os.path.join(OUT, f"peft-{name}-{an}"), fac, peft_config(targets, r, alpha, rslora, kind == "gpt2", name))
        with torch.no_grad():
            out = {
                "input_ids": torch.tensor(SEQ, dtype=torch.int64),
                "logits_base": forward(kind, cfg, sd, SEQ),
                "logits_a": forward(kind, cfg, apply(sd, mods, [(adapters["a"][0], adapters["a"][1], 1.0)]), SEQ),
                "logits_ab": forward(kind, cfg, apply(sd, mods, [(adapters["a"][0], adapters["a"][1], 1.0),
                                                                 (adapters["b"][0], adapters["b"][1], -0.5)]), SEQ),
            }
        path = os.path.join(OUT, f"lora-logits-{name}.safetensors")
        common.save(path, out, dict(meta, model=name))
        an, lr = TRAIN[name]
        fac, s = adapters[an]
        zero_b = {p: (a, torch.zeros_like(b)) for p, (a, b) in fac.items()}   # PEFT default init: B = 0
        batch, losses, final = train(kind, cfg, sd, mods, zero_b, s, lr, gen)
        tr = {"batch": batch, "losses": torch.tensor(losses, dtype=torch.float64), "lr": torch.tensor([lr], dtype=torch.float64)}
        for p, (a, b) in zero_b.items():
            tr[f"init.{p}.lora_A"], tr[f"init.{p}.lora_B"] = a, b
        for p, (a, b) in final.items():
            tr[f"final.{p}.lora_A"], tr[f"final.{p}.lora_B"] = a, b
        common.save(os.path.join(OUT, f"lora-train-{name}.safetensors"), tr, dict(meta, model=name, adapter=an, scaling=str(s)))
        print(f"{name}: losses {losses[0]:.5f} -> {losses[-1]:.5f}", file=sys.stderr)


if __name__ == "__main__":
    main()

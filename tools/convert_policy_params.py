"""Convert a reference Transformer² SVF expert (policy_params.pt / learnable_params.pt) into an ExpertMix expert directory.

Spec: shared/docs/svf-transformer2.md §8. Reference code: SakanaAI/self-adaptive-llms (commit 03a41ae).

Input (a pickle, read with torch.load on the CPU):
  * policy_params.pt    the policy's state dict: keys learnable_params_module_list.{0..M-1}, each a bf16 pre-sigmoid
                        p [r], in HF state-dict order of the target matrices (layer 0 gate, up, down; layer 1 ...).
  * learnable_params.pt (legacy) a dict {HF param name: p [r]}.

Output (what ExpertMix's SvfExpert.Save writes, byte for byte for svf_expert.safetensors):
  * svf_expert.safetensors  one F32 [r] tensor per target, key = HF param name (e.g. model.layers.0.mlp.gate_proj.weight),
                            tensors and metadata keys in ordinal order, header padded with spaces to 8 bytes; string
                            metadata format=expertmix-svf, version=1, param=pre-sigmoid, max_mult, base_model, basis_sha256.
  * svf_config.json         format, targets, init_mean 0.1, init_std 0.01, training_mode "converted", seed 0, max_mult,
                            base_model, basis_sha256, and source (the input file name; ExpertMix ignores it).

The target parameter names and shapes come from the base model (--model DIR: the safetensors headers, or the
model.safetensors.index.json with the shard headers): every 2-D "<module>.weight" whose module path equals a target suffix
or ends with "." + suffix (lm_head excluded), ordered by layer index and then by the position of its suffix in --targets.
--targets must therefore list the suffixes in the model's module definition order (Llama, Mistral, Qwen2 MLP:
gate_proj, up_proj, down_proj; attention q_proj and v_proj come before the MLP). Each p must have r = min(out, in) entries.

basis_sha256 identifies the basis the expert belongs to (ExpertMix's SvfBasis.Fingerprint): sha256 of the lines
"param \t m \t n \t sha256(weight as f32 little-endian [m, n]) \n" over the basis matrices in ordinal name order.
  * default          computed from the --model weights for the targets (what ExpertMix's decomposition of that model with
                     the same targets gives);
  * --basis FILE     taken from an ExpertMix svf-basis.safetensors (its sha256.<param> metadata and U/V shapes);
  * --no-basis-hash  written as "": SvfExpert.Load(dir) reads the expert, but loading it against a basis (SvfHost, eval)
                     refuses it as "trained on another basis", so an empty hash only suits inspection.

Llama-style [out, in] nn.Linear weights only (GPT-2's Conv1D layout is refused).

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/convert_policy_params.py policy_params.pt --model DIR --out DIR
"""
import argparse
import hashlib
import json
import os
import re
import struct
import sys

import numpy as np
import torch

FORMAT = "expertmix-svf"
WEIGHTS_FILE = "svf_expert.safetensors"
CONFIG_FILE = "svf_config.json"
MODULE_LIST = "learnable_params_module_list."
DEFAULT_TARGETS = "gate_proj,up_proj,down_proj"
_NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": np.uint16}


class ConversionError(Exception):
    """A bad input; the message names the file and what was expected."""


def read_header(path):
    """(header dict without __metadata__, metadata, data start offset) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ConversionError(f"{path}: not a safetensors file (shorter than 8 bytes)")
        n = struct.unpack("<Q", raw)[0]
        header = json.loads(f.read(n).decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    return header, meta, 8 + n


def model_tensors(model_dir):
    """{name: (file, info, data start)} for every tensor of the model in model_dir."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = sorted(fn for fn in os.listdir(model_dir) if fn.endswith(".safetensors"))
    if not files:
        raise ConversionError(f"{model_dir}: no *.safetensors (or model.safetensors.index.json) found")
    out = {}
    for fn in files:
        path = os.path.join(model_dir, fn)
        header, _, start = read_header(path)
        for name, info in header.items():
            out[name] = (path, info, start)
    return out


def read_f32(path, info, start):
    """A tensor of a safetensors file as a float32 numpy array (bf16 and f16 widened exactly)."""
    dtype = info["dtype"]
    if dtype not in _NP:
        raise ConversionError(f"{path}: dtype {dtype} is not supported (F32, F16, BF16, F64)")
    b, e = info["data_offsets"]
    with open(path, "rb") as f:
        f.seek(start + b)
        data = f.read(e - b)
    arr = np.frombuffer(data, dtype=np.dtype(_NP[dtype]).newbyteorder("<"))
    if dtype == "BF16":
        arr = (arr.astype(np.uint32) << 16).view(np.float32)
    return arr.astype(np.float32).reshape(info["shape"])


def _matches(module, suffix):
    return module == suffix or module.endswith("." + suffix)


def target_params(tensors, targets):
    """[(param name, m, n)] of the target weights in HF state-dict order (layer, then suffix position in targets)."""
    found = []
    for name, (_, info, _) in tensors.items():
        if not name.endswith(".weight") or len(info["shape"]) != 2 or name.startswith("lm_head"):
            continue
        module = name[: -len(".weight")]
        hits = [i for i, s in enumerate(targets) if _matches(module, s)]
        if not hits:
            continue
        layer = re.search(r"\.(\d+)\.", name)
        found.append(((int(layer.group(1)) if layer else -1, hits[0], name), name, info["shape"][0], info["shape"][1]))
    found.sort(key=lambda x: x[0])
    return [(name, m, n) for _, name, m, n in found]


def fingerprint(lines):
    """sha256 hex of the "param \\t m \\t n \\t weight_sha256 \\n" lines in ordinal name order."""
    text = "".join(f"{p}\t{m}\t{n}\t{h}\n" for p, m, n, h in sorted(lines, key=lambda x: x[0].encode("utf-8")))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def basis_from_model(tensors, params):
    lines = []
    for name, m, n in params:
        w = read_f32(*tensors[name])
        lines.append((name, m, n, hashlib.sha256(np.ascontiguousarray(w).astype("<f4").tobytes()).hexdigest()))
    return fingerprint(lines)


def basis_from_file(path, params):
    header, meta, _ = read_header(path)
    if meta.get("format") != "expertmix-svf-basis":
        raise ConversionError(f"{path}: not an ExpertMix SVF basis (metadata format '{meta.get('format')}')")
    lines = []
    for key, info in header.items():
        if key.endswith(".U"):
            name = key[:-2]
            if name + ".V" not in header or "sha256." + name not in meta:
                raise ConversionError(f"{path}: {name} lacks its .V tensor or sha256.{name} metadata")
            lines.append((name, info["shape"][0], header[name + ".V"]["shape"][0], meta["sha256." + name]))
    known = {name: (m, n) for name, m, n, _ in lines}
    for name, m, n in params:
        if known.get(name) != (m, n):
            raise ConversionError(f"{path}: the basis has no {m}x{n} matrix {name} (it has {len(known)} matrices)")
    return fingerprint(lines)


def read_policy(path, params):
    """{param name: p as a float32 numpy array} from policy_params.pt or the legacy learnable_params.pt."""
    state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict):
        raise ConversionError(f"{path}: expected a state dict, got {type(state).__name__}")
    names = [name for name, _, _ in params]
    listed = {k for k in state if k.startswith(MODULE_LIST)}
    if listed:
        count = len(listed)
        expected = {f"{MODULE_LIST}{i}" for i in range(count)}
        if listed != expected:
            raise ConversionError(f"{path}: keys {sorted(listed - expected)[:3]} break the sequence {MODULE_LIST}0..{count - 1}")
        if count != len(names):
            raise ConversionError(f"{path}: {count} vectors, but the model has {len(names)} target matrices "
                                  f"(e.g. {names[0] if names else 'none'}); check --targets")
        vectors = {names[i]: state[f"{MODULE_LIST}{i}"] for i in range(count)}
    else:
        unknown = [k for k in state if k not in names]
        if unknown:
            raise ConversionError(f"{path}: {unknown[0]} is not a target weight of the model "
                                  f"({len(unknown)} unknown keys; targets look like {names[0] if names else 'none'})")
        missing = [n for n in names if n not in state]
        if missing:
            raise ConversionError(f"{path}: no vector for {missing[0]} ({len(missing)} target matrices missing)")
        vectors = {n: state[n] for n in names}
    out = {}
    for name, m, n in params:
        t = vectors[name]
        if not isinstance(t, torch.Tensor) or t.dim() != 1 or t.shape[0] != min(m, n):
            shape = list(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ConversionError(f"{path}: the vector for {name} is {shape}; expected [{min(m, n)}] (r = min({m}, {n}))")
        out[name] = t.detach().to(torch.float32).contiguous().numpy()
    return out


def format_float(x):
    """C#'s float.ToString("R") for the usual values: "1" for whole numbers, else the shortest float32 round trip."""
    f = np.float32(x)
    return str(int(f)) if float(f).is_integer() else np.format_float_positional(f, unique=True, trim="-")


def write_expert(out_dir, vectors, meta):
    """svf_expert.safetensors exactly as ExpertMix's SafetensorsWriter lays it out."""
    names = sorted(vectors, key=lambda k: k.encode("utf-8"))
    header = {"__metadata__": {k: meta[k] for k in sorted(meta, key=lambda k: k.encode("utf-8"))}}
    offset = 0
    for k in names:
        size = vectors[k].size * 4
        header[k] = {"dtype": "F32", "shape": [int(vectors[k].size)], "data_offsets": [offset, offset + size]}
        offset += size
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    os.makedirs(out_dir, exist_ok=True)
    tmp = os.path.join(out_dir, WEIGHTS_FILE + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for k in names:
            f.write(vectors[k].astype("<f4").tobytes())
    os.replace(tmp, os.path.join(out_dir, WEIGHTS_FILE))


def convert(policy, model_dir, out_dir, targets=DEFAULT_TARGETS, basis=None, no_basis_hash=False, base_model=None, max_mult=1.0):
    """Converts policy (a .pt path) for the model in model_dir; returns {param name: p (float32 numpy)}."""
    suffixes = [s.strip() for s in targets.split(",") if s.strip()]
    config_path = os.path.join(model_dir, "config.json")
    if os.path.exists(config_path):
        with open(config_path) as f:
            model_type = json.load(f).get("model_type", "")
        if model_type == "gpt2":
            raise ConversionError(f"{config_path}: GPT-2's Conv1D weights are [in, out]; the converter handles [out, in] Linear models")
    tensors = model_tensors(model_dir)
    params = target_params(tensors, suffixes)
    if not params:
        raise ConversionError(f"{model_dir}: no 2-D weight matches the targets {','.join(suffixes)}")
    if not max_mult > 0:
        raise ConversionError(f"--max-mult must be > 0 (got {max_mult})")
    vectors = read_policy(policy, params)
    sha = "" if no_basis_hash else basis_from_file(basis, params) if basis else basis_from_model(tensors, params)
    base_model = base_model if base_model is not None else os.path.basename(os.path.normpath(model_dir))
    meta = {"format": FORMAT, "version": "1", "param": "pre-sigmoid", "max_mult": format_float(max_mult),
            "base_model": base_model, "basis_sha256": sha}
    write_expert(out_dir, vectors, meta)
    config = {"format": FORMAT, "targets": ",".join(suffixes), "init_mean": 0.1, "init_std": 0.01, "training_mode": "converted",
              "seed": 0, "max_mult": float(np.float32(max_mult)), "base_model": base_model, "basis_sha256": sha,
              "source": os.path.basename(policy)}
    if config["max_mult"].is_integer():
        config["max_mult"] = int(config["max_mult"])
    with open(os.path.join(out_dir, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
    return vectors


def main(argv=None):
    ap = argparse.ArgumentParser(description="Convert a Transformer² policy_params.pt (or legacy learnable_params.pt) to an ExpertMix SVF expert.")
    ap.add_argument("policy", help="policy_params.pt or learnable_params.pt")
    ap.add_argument("--model", required=True, help="the base model directory (config.json + safetensors in HF layout)")
    ap.add_argument("--out", required=True, help="the expert directory to write")
    ap.add_argument("--targets", default=DEFAULT_TARGETS, help="module suffixes in module definition order (default: %(default)s)")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--basis", help="take basis_sha256 from this ExpertMix svf-basis.safetensors")
    group.add_argument("--no-basis-hash", action="store_true", help="write basis_sha256 = \"\" (the expert then loads only unchecked)")
    ap.add_argument("--base-model", help="base_model metadata (default: the model directory's name)")
    ap.add_argument("--max-mult", type=float, default=1.0, help="max_mult (reference: 1)")
    a = ap.parse_args(argv)
    try:
        vectors = convert(a.policy, a.model, a.out, a.targets, a.basis, a.no_basis_hash, a.base_model, a.max_mult)
    except (ConversionError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {os.path.join(a.out, WEIGHTS_FILE)}: {len(vectors)} vectors, {sum(v.size for v in vectors.values())} values", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

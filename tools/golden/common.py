"""Shared helpers for the PyTorch golden scripts: deterministic setup and a tiny safetensors writer/reader.

safetensors layout: 8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}} padded with spaces to a
multiple of 8, then the raw little-endian data (offsets relative to the start of the data).
bf16 is written through an int16 view because NumPy has no bf16.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

FORMAT_VERSION = "1"

_DTYPES = {
    torch.float32: ("F32", np.float32),
    torch.float64: ("F64", np.float64),
    torch.bfloat16: ("BF16", np.int16),
    torch.float16: ("F16", np.float16),
    torch.int64: ("I64", np.int64),
    torch.int32: ("I32", np.int32),
    torch.bool: ("BOOL", np.bool_),
}
_FROM_NAME = {v[0]: (k, v[1]) for k, v in _DTYPES.items()}

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN_DIR = os.path.join(REPO_ROOT, "tests", "ExpertMix.Tensors.Tests", "Golden")


def setup(seed):
    """Seeds torch, forces deterministic algorithms and a single thread."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)


def base_metadata(script, seed):
    """The metadata every golden file carries."""
    return {
        "format_version": FORMAT_VERSION,
        "script": "tools/golden/" + script,
        "command": "OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/" + script,
        "torch_version": torch.__version__,
        "seed": str(seed),
    }


def _to_bytes(t):
    t = t.detach().contiguous().cpu()
    name, npdt = _DTYPES[t.dtype]
    if t.dtype == torch.bfloat16:
        arr = t.view(torch.int16).numpy()
    else:
        arr = t.numpy()
    return name, arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def save(path, tensors, metadata):
    """Writes {name: tensor} and string metadata as safetensors (tensors sorted by name)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        dtype, data = _to_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    print(f"wrote {os.path.relpath(path, REPO_ROOT)}: {len(tensors)} tensors, {os.path.getsize(path)} bytes", file=sys.stderr)


def load(path):
    """Reads a safetensors file: returns ({name: tensor}, metadata)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n).decode("utf-8"))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        tdt, npdt = _FROM_NAME[info["dtype"]]
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype=np.dtype(npdt).newbyteorder("<")).copy()
        t = torch.from_numpy(arr.astype(npdt)).reshape(info["shape"])
        if tdt == torch.bfloat16:
            t = t.view(torch.bfloat16)
        out[name] = t
    return out, meta


def verify_roundtrip(path, tensors):
    """Reloads a written file and checks every tensor bit for bit."""
    back, _ = load(path)
    assert set(back) == set(tensors), "round trip lost names"
    for k, t in tensors.items():
        a = t.detach().contiguous()
        b = back[k]
        assert a.dtype == b.dtype and a.shape == b.shape, k
        if a.dtype == torch.bfloat16:
            a, b = a.view(torch.int16), b.view(torch.int16)
        assert a.numpy().tobytes() == b.numpy().tobytes(), k

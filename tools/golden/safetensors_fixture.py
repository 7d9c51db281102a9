#!/usr/bin/python3
"""Writes tests/ExpertMix.Tensors.Tests/Golden/torch-fixture.safetensors (+ .expected.json) with PyTorch.

The safetensors writer is hand-written (the `safetensors` package is not available on Debian): an 8-byte
little-endian header length, a JSON header padded with spaces to an 8-byte boundary, then raw little-endian
bytes. bf16 goes through an int16 view because NumPy has no bf16. Each tensor also gets its expected raw
bit patterns (and the bits of its float32 conversion by torch) in the companion JSON, so the C# reader is
checked bit for bit against PyTorch's own memory.

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/safetensors_fixture.py
"""
import json
import os
import struct
import sys

import torch

FORMAT_VERSION = "1"
SEED = 1234
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "..", "tests", "ExpertMix.Tensors.Tests", "Golden")

DTYPES = {
    torch.float32: ("F32", torch.int32),
    torch.float16: ("F16", torch.int16),
    torch.bfloat16: ("BF16", torch.int16),
    torch.float64: ("F64", torch.int64),
    torch.int64: ("I64", None),
    torch.int32: ("I32", None),
    torch.uint8: ("U8", None),
    torch.bool: ("BOOL", None),
}


def raw_bytes(t):
    """Little-endian bytes of a contiguous tensor (bf16/f16 through an int16 view)."""
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.view(torch.int16)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def bits(t):
    """Element bit patterns as unsigned integers (floats) or values (integers), row-major."""
    name, view = DTYPES[t.dtype]
    flat = t.contiguous().reshape(-1)
    if view is None:
        return [int(x) for x in flat.to(torch.int64).tolist()]
    width = {torch.int16: 16, torch.int32: 32, torch.int64: 64}[view]
    return [int(x) & ((1 << width) - 1) for x in flat.view(view).tolist()]


def save_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name]
        data = raw_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    special = torch.tensor([0.0, -0.0, 1.0, -2.5, float("inf"), float("-inf"), float("nan"), 1e-40, 65504.0, 3.0e38])
    tensors = {
        "f32.matrix": torch.randn(3, 4),
        "f32.special": special.clone(),
        "f16.values": torch.cat([torch.randn(6), torch.tensor([0.0, -0.0, float("inf"), float("nan"), 6.0e-8, 65504.0])]).to(torch.float16),
        "bf16.matrix": torch.randn(2, 5).to(torch.bfloat16),
        "bf16.special": special.to(torch.bfloat16),
        "f64.vector": torch.randn(5, dtype=torch.float64),
        "i64.values": torch.tensor([0, -1, 2**62, -(2**63), 2**63 - 1, 123456789012], dtype=torch.int64),
        "i32.matrix": torch.randint(-2**31, 2**31 - 1, (2, 3), dtype=torch.int32),
        "u8.values": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
        "bool.mask": torch.tensor([[True, False, True], [False, False, True]]),
        "f32.scalar": torch.tensor(3.25),
        "f32.empty": torch.zeros(0, 3),
        "model.layers.0.self_attn.q_proj.weight": torch.randn(4, 3, 2),
    }
    metadata = {
        "format": "pt",
        "format_version": FORMAT_VERSION,
        "script": "tools/golden/safetensors_fixture.py",
        "command": "OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/safetensors_fixture.py",
        "torch_version": torch.__version__,
        "seed": str(SEED),
        "unicode": "grüße ✓",
    }
    os.makedirs(OUT_DIR, exist_ok=True)
    save_safetensors(os.path.join(OUT_DIR, "torch-fixture.safetensors"), tensors, metadata)
    expected = {"metadata": metadata, "tensors": {}}
    for name in sorted(tensors):
        t = tensors[name]
        entry = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "bits": bits(t)}
        if t.dtype.is_floating_point:
            entry["f32_bits"] = bits(t.to(torch.float32))
        expected["tensors"][name] = entry
    with open(os.path.join(OUT_DIR, "torch-fixture.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", len(tensors), "tensors to", OUT_DIR, file=sys.stderr)


if __name__ == "__main__":
    main()

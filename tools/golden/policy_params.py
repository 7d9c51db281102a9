"""Fixture for tools/convert_policy_params.py: a fake Transformer² expert for tiny-llama, pickled both ways, and its conversion.

Writes tests/ExpertMix.Adapters.Tests/Golden/policy-params-tiny-llama/:
  policy_params.pt       {learnable_params_module_list.{i}: bf16 p [64]} for the 6 MLP matrices of tiny-llama in HF order
                         (layer 0 gate, up, down; layer 1 gate, up, down), p = 0.1 + 0.5 N(0, 1) rounded to bf16
  learnable_params.pt    the legacy layout: {HF param name: the same bf16 p}
  expected_p.json        {"order": [param names in HF order], "p": {param name: [the bf16 values as exact decimals]}}
  converted/             tools/convert_policy_params.py policy_params.pt --model tiny-llama --base-model tiny-llama
                         (svf_expert.safetensors + svf_config.json); the legacy file must convert to the same bytes.
and tests/ExpertMix.Adapters.Tests/Golden/policy-params-tiny-qwen2/ (a BF16 model: basis_sha256 hashes the widened weights):
  policy_params.pt, converted/   as above for tiny-qwen2's 6 MLP matrices

Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/golden/policy_params.py
"""
import collections
import filecmp
import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import common  # noqa: E402
import convert_policy_params as cpp  # noqa: E402

SEED = 8080
MODEL_DIR = os.path.join(common.REPO_ROOT, "tests", "ExpertMix.Models.Tests", "Golden", "tiny-llama")
OUT = os.path.join(common.REPO_ROOT, "tests", "ExpertMix.Adapters.Tests", "Golden", "policy-params-tiny-llama")
ORDER = [f"model.layers.{layer}.mlp.{proj}.weight" for layer in range(2) for proj in ("gate_proj", "up_proj", "down_proj")]


def main():
    common.setup(SEED)
    os.makedirs(OUT, exist_ok=True)
    ps = [(0.1 + 0.5 * torch.randn(64)).to(torch.bfloat16) for _ in ORDER]
    policy = collections.OrderedDict((f"learnable_params_module_list.{i}", p) for i, p in enumerate(ps))
    torch.save(policy, os.path.join(OUT, "policy_params.pt"))
    torch.save({name: p for name, p in zip(ORDER, ps)}, os.path.join(OUT, "learnable_params.pt"))
    expected = {"order": ORDER, "p": {name: [float(v) for v in p.float().tolist()] for name, p in zip(ORDER, ps)}}
    with open(os.path.join(OUT, "expected_p.json"), "w") as f:
        json.dump(expected, f, indent=1)

    converted = os.path.join(OUT, "converted")
    vectors = cpp.convert(os.path.join(OUT, "policy_params.pt"), MODEL_DIR, converted, base_model="tiny-llama")
    assert list(vectors) == ORDER, f"target order {list(vectors)}"
    for name, p in zip(ORDER, ps):
        assert torch.equal(torch.from_numpy(vectors[name]), p.float()), name
    with tempfile.TemporaryDirectory() as legacy:
        cpp.convert(os.path.join(OUT, "learnable_params.pt"), MODEL_DIR, legacy, base_model="tiny-llama")
        assert filecmp.cmp(os.path.join(converted, cpp.WEIGHTS_FILE), os.path.join(legacy, cpp.WEIGHTS_FILE), shallow=False)
    back, meta = common.load(os.path.join(converted, cpp.WEIGHTS_FILE))
    assert sorted(back) == sorted(ORDER) and meta["format"] == cpp.FORMAT and len(meta["basis_sha256"]) == 64
    for name, p in zip(ORDER, ps):
        assert torch.equal(back[name], p.float()), name
    print(f"wrote {os.path.relpath(OUT, common.REPO_ROOT)} (basis_sha256 {meta['basis_sha256'][:12]}…)", file=sys.stderr)

    qwen = os.path.join(os.path.dirname(MODEL_DIR), "tiny-qwen2")
    qout = OUT.replace("tiny-llama", "tiny-qwen2")
    os.makedirs(qout, exist_ok=True)
    params = cpp.target_params(cpp.model_tensors(qwen), cpp.DEFAULT_TARGETS.split(","))
    qps = collections.OrderedDict((f"learnable_params_module_list.{i}", (0.1 + 0.5 * torch.randn(min(m, n))).to(torch.bfloat16))
                                  for i, (_, m, n) in enumerate(params))
    torch.save(qps, os.path.join(qout, "policy_params.pt"))
    cpp.convert(os.path.join(qout, "policy_params.pt"), qwen, os.path.join(qout, "converted"), base_model="tiny-qwen2")
    print(f"wrote {os.path.relpath(qout, common.REPO_ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Side-by-side LoRA training benchmark: shared/bench/torch_ref.py (PyTorch 1.13, best of 1 and 2 threads; GPT-2 124M,
# LoRA r8 on c_attn, batch 8 × 128) and `expertmix bench lora` on the same shape, in one run; then merge/orthogonality timing.
# Usage: tools/bench/compare_lora.sh [OUTDIR]   (needs Debian python3-torch; run on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
ref=${TORCH_REF:-../shared/bench/torch_ref.py}
export OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE
X="dotnet src/ExpertMix.Cli/bin/Release/net10.0/expertmix.dll"
dotnet build src/ExpertMix.Cli -c Release -v q -nologo >/dev/null
{ uptime; git rev-parse --short HEAD; } > "$out/env.txt"
for t in 1 2; do
  /usr/bin/python3 "$ref" bench --models gpt2-124m --tasks lora --threads $t --reps 3 --json "$out/torch-lora-t$t.json" > "$out/torch-lora-t$t.md"
done
$X bench lora --preset gpt2-small --batch 8 --seq 128 --rank 8 --targets c_attn --steps 3 --decode 64 --decode-rank 16 --json > "$out/ours-lora.json"
$X bench merge --preset gpt2-small --adapters 3 --rank 8 --json > "$out/ours-merge.json"
uptime >> "$out/env.txt"
/usr/bin/python3 - "$out" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
best = None
for f in sorted(glob.glob(os.path.join(out, "torch-lora-t*.json"))):
    d = json.load(open(f))
    rows = d if isinstance(d, list) else d.get("results", d)
    def walk(x):
        if isinstance(x, dict):
            if "tok_s" in x and x.get("trainable"):
                yield x
            for v in x.values():
                yield from walk(v)
        elif isinstance(x, list):
            for v in x:
                yield from walk(v)
    for r in walk(rows):
        if best is None or r["tok_s"] > best["tok_s"]:
            best = dict(r, file=os.path.basename(f))
ours = json.load(open(os.path.join(out, "ours-lora.json")))
merge = json.load(open(os.path.join(out, "ours-merge.json")))
print("| workload | PyTorch best | ExpertMix | ratio |\n|---|---|---|---|")
print(f"| LoRA r8 c_attn train, 8×128 (tok/s) | {best['tok_s']:.0f} ({best['file']}) | {ours['train_tok_s']:.0f} | {ours['train_tok_s']/best['tok_s']:.2f}× |")
print(f"| decode with one rank-16 adapter: cost vs base | – | {100*ours['decode_lora_cost']:.1f}% ({ours['decode_base_tok_s']} → {ours['decode_lora_tok_s']} tok/s) | target ≤ 10% |")
print(f"| merge 3 adapters (s) | – | {json.dumps(merge['merge_s'])}; into base {merge.get('merge_into_base_s')} | target < 2 s |")
print(f"| orthogonality matrix of 3 (s) | – | {merge['orthogonality_s']} | target < 1 s |")
PY

#!/usr/bin/env bash
# Side-by-side LoRA training benchmark: shared/bench/torch_ref.py (PyTorch 1.13, best of 1 and 2 threads; GPT-2 124M,
# LoRA r8 on c_attn, batch 8 × 128) and `expertmix bench lora` on the same shape, in one run; then merge/orthogonality timing.
# Usage: tools/bench/compare_lora.sh [OUTDIR]   (needs Debian python3-torch; run on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
# shared/ as the tests find it: $EXPERTMIX_SHARED, else the nearest shared/ above the repository (worktrees too)
shared=${EXPERTMIX_SHARED:-}
if [ -z "$shared" ]; then
  d=$PWD
  while :; do
    [ -d "$d/shared" ] && { shared=$d/shared; break; }
    [ "$d" = / ] && break
    d=$(dirname "$d")
  done
fi
ref=${TORCH_REF:-${shared:-../shared}/bench/torch_ref.py}
export OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE
# Debian's python3-torch is satisfied by the reference (netlib) libblas3, which runs the LoRA step ~30× slower
# (9 tok/s instead of ≈300): refuse to measure PyTorch without OpenBLAS behind libblas.so.3.
if ! /usr/bin/python3 -c 'import ctypes; ctypes.CDLL("libblas.so.3").openblas_get_corename' 2>/dev/null; then
  echo "compare_lora.sh: libblas.so.3 is not OpenBLAS (PyTorch would run on the reference BLAS); apt-get install -y libopenblas0-pthread" >&2
  exit 1
fi
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

def torch_lora(path):
    """(tokens/s, torch threads, contaminated) of the LoRA step in one `torch_ref.py bench --tasks lora --json` file,
    whose layout is {"env": {"torch_threads": n, "openblas_core": "Zen" or "unknown", ...}, "models": {"gpt2-124m": {"params": N, "lora": {"tok_s": x,
    "median_s": s, "B": 8, "T": 128, "trainable": n, ...}}}, "discarded": [[task, foreign cores or "NO CLEAN REP..."], ...]}."""
    with open(path) as f:
        d = json.load(f)
    try:
        tok_s = float(d["models"]["gpt2-124m"]["lora"]["tok_s"])
    except (KeyError, TypeError, ValueError) as e:
        sys.exit(f"{path}: expected models.gpt2-124m.lora.tok_s in torch_ref.py's bench JSON ({e!r})")
    env = d.get("env", {})
    threads = env.get("torch_threads", "?")
    if env.get("openblas_core", "unknown") == "unknown":
        sys.exit(f"{path}: PyTorch ran without OpenBLAS (openblas_core unknown: reference BLAS); its {tok_s:.1f} tok/s is not "
                 "PyTorch's speed. apt-get install -y libopenblas0-pthread and rerun")
    contaminated = any(isinstance(x, list) and len(x) == 2 and x[0] == "lora" and isinstance(x[1], str) for x in d.get("discarded", []))
    return tok_s, threads, contaminated

runs = [torch_lora(f) for f in sorted(glob.glob(os.path.join(out, "torch-lora-t*.json")))]
if not runs:
    sys.exit(f"no torch-lora-t*.json in {out}")
best = max(runs, key=lambda r: r[0])
def label(r):
    return f"{r[0]:.0f} @ {r[1]} thr" + (" (contaminated)" if r[2] else "")
torch_cell = label(best) + "; all: " + ", ".join(label(r) for r in runs)
ours = json.load(open(os.path.join(out, "ours-lora.json")))
merge = json.load(open(os.path.join(out, "ours-merge.json")))
print("| workload | PyTorch best | ExpertMix | ratio |\n|---|---|---|---|")
print(f"| LoRA r8 c_attn train, 8×128 (tok/s) | {torch_cell} | {ours['train_tok_s']:.0f} | {ours['train_tok_s']/best[0]:.2f}× |")
print(f"| decode with one rank-16 adapter: cost vs base | – | {100*ours['decode_lora_cost']:.1f}% ({ours['decode_base_tok_s']} → {ours['decode_lora_tok_s']} tok/s) | target ≤ 10% |")
print(f"| merge 3 adapters (s) | – | {json.dumps(merge['merge_s'])}; into base {merge.get('merge_into_base_s')} | target < 2 s |")
print(f"| orthogonality matrix of 3 (s) | – | {merge['orthogonality_s']} | target < 1 s |")
PY

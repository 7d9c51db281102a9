#!/usr/bin/env bash
# Side-by-side model benchmark: shared/bench/torch_ref.py (PyTorch 1.13, best of 1 and 2 threads, F.linear and torch.mv
# decode) and `expertmix bench model` on the same preset shapes, in one run. Prints a markdown table with ratios.
# Usage: tools/bench/compare_model.sh [OUTDIR]   (needs Debian python3-torch; run on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
ref=${TORCH_REF:-../shared/bench/torch_ref.py}
export OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE
# Debian's python3-torch calls libblas.so.3: without OpenBLAS that is the reference BLAS (gpt2-small prefill 21 tok/s
# instead of ~1000), which is no peer at all. Refuse to compare against it.
if ! readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 | grep -q openblas; then
  echo "libblas.so.3 is not OpenBLAS ($(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)); run: apt-get install -y python3-torch libopenblas0-pthread" >&2
  exit 2
fi
# The measured build is NativeAOT (tools/publish_aot.sh); EXPERTMIX_BIN overrides it (e.g. "dotnet …/expertmix.dll" for the JIT).
if [ -z "${EXPERTMIX_BIN:-}" ]; then tools/publish_aot.sh artifacts/aot >/dev/null; fi
X=${EXPERTMIX_BIN:-artifacts/aot/expertmix}

{ uptime; git rev-parse --short HEAD; echo "ExpertMix binary: $X"; } > "$out/env.txt"
for t in 1 2; do
  /usr/bin/python3 "$ref" bench --models gpt2-124m,llama-110m --tasks prefill,decode --threads $t --reps 3 --json "$out/torch-small-t$t.json" > "$out/torch-small-t$t.md"
  /usr/bin/python3 "$ref" bench --models llama-1b --tasks decode --threads $t --reps 1 --new 32 --json "$out/torch-1b-t$t.json" > "$out/torch-1b-t$t.md"
done
# Three configurations: f32 weights, bf16 weights (f32 KV cache), bf16 weights with a bf16 KV cache (bf16kv).
for p in gpt2-small llama-110m; do
  for d in f32 bf16; do $X bench model --preset $p --dtype $d --reps 3 --json > "$out/ours-$p-$d.json"; done
  $X bench model --preset $p --dtype bf16 --kv-dtype bf16 --reps 3 --json > "$out/ours-$p-bf16kv.json"
done
for d in f32 bf16; do $X bench model --preset llama-1b --dtype $d --reps 1 --decode 32 --prefill 128 --json > "$out/ours-llama-1b-$d.json"; done
$X bench model --preset llama-1b --dtype bf16 --kv-dtype bf16 --reps 1 --decode 32 --prefill 128 --json > "$out/ours-llama-1b-bf16kv.json"
uptime >> "$out/env.txt"
/usr/bin/python3 tools/bench/compare_model.py "$out"

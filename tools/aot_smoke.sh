#!/usr/bin/env bash
# Checks a NativeAOT build (tools/publish_aot.sh) against the JIT build: the same JSON from generate, inspect, score,
# tokenize, lora train/inspect (paths aside) and the same adapter bytes; then runs `bench model` on a small preset.
# Usage: tools/aot_smoke.sh AOT_BINARY SHARED_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
aot=$1
shared=$2
jit="dotnet src/ExpertMix.Cli/bin/Release/net10.0/expertmix.dll"
m=$shared/models/stories260K
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Drop timing fields and the run's own output paths, then compare canonical JSON.
canon() { python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
for k in ('prefill_tokens_per_s', 'decode_tokens_per_s', 'adapter', 'last_checkpoint', 'seconds', 'tokens_per_s', 'elapsed_s'):
    d.pop(k, None)
print(json.dumps(d, sort_keys=True))"; }
same() {
  local name=$1; shift
  if ! diff <("$@" --aot | canon) <("$@" --jit | canon) > "$work/diff.txt"; then
    echo "AOT and JIT differ on $name:"; cat "$work/diff.txt"; exit 1
  fi
  echo "same: $name"
}
run() { local which=${!#}; set -- "${@:1:$#-1}"; if [ "$which" = --aot ]; then "$aot" "$@"; else $jit "$@"; fi; }
echo "Once upon a time there was a cat." > "$work/text.txt"
python3 -c "
import json
with open('$work/rows.jsonl', 'w') as f:
    for i in range(16): f.write(json.dumps({'prompt': 'Tom had %d apples.' % i, 'completion': ' He was happy.'}) + '\n')"
same generate run generate --model "$m" --prompt "Once upon a time" --max-new-tokens 24 --json
same inspect run inspect --model "$m" --json
same score run score --model "$m" --data "$work/text.txt" --json
same tokenize run tokenize --model "$m" --text "Hello world" --json
train() { local which=$1; run lora train --model "$m" --data "$work/rows.jsonl" --out "$work/lora$which" --max-steps 3 --json "$which" | tail -1; }
lorainspect() { run lora inspect "$work/lora$1/adapter" --json "$1"; }
same "lora train" train
cmp "$work/lora--aot/adapter/adapter_model.safetensors" "$work/lora--jit/adapter/adapter_model.safetensors"
echo "same: adapter bytes"
same "lora inspect" lorainspect
"$aot" bench model --preset gpt2-small --dtype bf16 --prefill 64 --prompt 16 --decode 4 --reps 1 --json | python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
assert d['prefill_tok_s'] > 0 and d['decode_tok_s'] > 0 and d['peak_rss_bytes'] > d['weight_bytes'], d
print('bench model (AOT):', {k: d[k] for k in ('prefill_tok_s', 'decode_tok_s', 'peak_rss_over_weights_plus_kv')})"

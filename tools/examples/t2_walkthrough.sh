#!/usr/bin/env bash
# The Transformer² walk-through of docs/transformer2.md on ../shared/models/stories260K (about 4 minutes on 2 cores).
# Usage: bash tools/examples/t2_walkthrough.sh [WORKDIR]   (default /tmp/t2); needs a Release build of the CLI.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:-/tmp/t2}; mkdir -p "$W"; cd "$W"
X="dotnet $repo/src/ExpertMix.Cli/bin/Release/net10.0/expertmix.dll"
python3 "$repo/tools/examples/t2_toy_data.py" "$W"

# stories260K has no chat template; the first passes need one. A copy gets a two-line template.
M="$W/s260"; mkdir -p "$M"
cp "$repo"/../shared/models/stories260K/{config.json,generation_config.json,model.safetensors,special_tokens_map.json,tokenizer.json} "$M"/
python3 - "$repo/../shared/models/stories260K/tokenizer_config.json" "$M/tokenizer_config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["chat_template"] = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}\n"
                      "{% elif m['role'] == 'user' %}Question: {{ m['content'] }}\n{% else %}Answer: {{ m['content'] }}\n{% endif %}"
                      "{% endfor %}{% if add_generation_prompt %}Answer: {% endif %}")
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
# The reference §9.1 system prompt needs more than the model's 512 positions: a short one replaces it.
echo 'Classify the question as code, math, reasoning or other. Answer with \boxed{label}.' > cls-system.txt
python3 - <<'PY'
import json, random
system = open("cls-system.txt").read().strip()
chats, qa = [], []
for name in ("math", "reasoning"):
    for i, line in enumerate(open(f"{name}-train.jsonl")):
        q = json.loads(line)["prompt"]
        label = "Classification: \\boxed{" + name + "}"
        chats.append({"messages": [{"role": "system", "content": system}, {"role": "user", "content": q}, {"role": "assistant", "content": label}]})
        qa.append({"id": f"{name}/{i}", "prompt": f"{system}\nQuestion: {q}\nAnswer: ", "answer": label})
for rows, path in ((chats, "cls-train.jsonl"), (qa, "cls-train-qa.jsonl")):
    random.Random(0).shuffle(rows)
    open(path, "w").write("".join(json.dumps(r) + "\n" for r in rows))
PY

$X svf decompose --model "$M" --targets mlp --json
B="--basis $M/svf-basis.safetensors"
for t in math reasoning; do
  $X svf train --model "$M" --data $t-train.jsonl --task sft --mode sft --out runs/$t-sft --iterations 300 --batch 16 --lr 0.05 --clip 0 $B --json
done
$X svf train --model "$M" --data cls-train.jsonl --task sft --mode sft --out runs/cls-sft --iterations 500 --batch 16 --lr 0.05 --clip 0 $B --json
$X svf train --model "$M" --data cls-train-qa.jsonl --task qa-jsonl --mode reinforce --init runs/cls-sft/expert --out runs/cls-rf \
  --iterations 100 --batch 32 --lr 0.002 --max-new-tokens 32 --eval-every 5 $B --json

E="math=runs/math-sft/expert,reasoning=runs/reasoning-sft/expert"
common="--task qa-jsonl --model $M --max-new-tokens 16 --json"
mkdir -p out
for t in math reasoning; do
  $X eval $common --data $t-eval.jsonl --out out/$t-base.jsonl > out/$t-base.json
  for s in math reasoning; do $X eval $common --data $t-eval.jsonl --svf runs/$s-sft/expert --out out/$t-only-$s.jsonl > out/$t-only-$s.json; done
  t2="t2 eval $common --data $t-eval.jsonl --experts $E --classification-system-file cls-system.txt --category $t"
  $X $t2 --strategy prompt --out out/$t-t2-prompt.jsonl > out/$t-t2-prompt.json
  $X $t2 --strategy classifier --classifier runs/cls-sft/expert --out out/$t-t2-classifier.jsonl > out/$t-t2-classifier.json
  $X $t2 --strategy classifier --classifier runs/cls-rf/expert --out out/$t-t2-classifier-rl.jsonl > out/$t-t2-classifier-rl.json
  $X $t2 --strategy label-score --out out/$t-t2-label-score.jsonl > out/$t-t2-label-score.json
  $X $t2 --strategy label-score --dispatch soft --out out/$t-t2-label-soft.jsonl > out/$t-t2-label-soft.json
  $X $t2 --strategy few-shot --shots 10 --cem-iterations 20 --population 32 --out out/$t-t2-few-shot.jsonl > out/$t-t2-few-shot.json
done
$X eval-compare --a out/math-base.jsonl --b out/math-t2-few-shot.jsonl
for k in 4 16 64; do
  $X svf to-lora --model "$M" --svf runs/math-sft/expert --rank $k --out runs/math-lora-$k --json
  $X eval $common --data math-eval.jsonl --adapter runs/math-lora-$k > out/math-lora-$k.json
done

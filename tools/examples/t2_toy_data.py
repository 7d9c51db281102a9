"""Two toy tasks for the Transformer² walk-through in docs/svf.md (stories260K, a TinyStories Llama).

"math" is counting (the answer is the next number) and "reasoning" is a story pattern (the answer repeats the name
and the act). Both are short-answer qa-jsonl tasks scored by `expertmix eval --task qa-jsonl`.

Writes into the folder given as the first argument (default: .):
  math-train.jsonl, reasoning-train.jsonl   300 prompt/completion rows each (SFT data for one SVF expert per task)
  math-train-qa.jsonl, …                    the same prompts as qa-jsonl rows (policy-gradient training, `--task qa-jsonl`)
  math-eval.jsonl, reasoning-eval.jsonl     qa-jsonl rows: 30 with "split": "dev" and 100 with "split": "test"
  mixed-eval.jsonl                          the two eval files interleaved (the unseen mixture the strategies face)
Train, dev and test come from different seeds; the tasks have few distinct prompts (30 counting starts, 288
stories), so prompts repeat across and within splits: the walk-through shows the mechanics, not generalisation.

Run: python3 tools/examples/t2_toy_data.py /tmp/t2
"""
import json
import os
import random
import sys

NAMES = ["Tom", "Lily", "Ben", "Mia", "Sam", "Anna"]
THINGS = ["red balls", "blue cars", "big cats", "small dogs", "green apples", "yellow birds"]


def math(rng):
    a = rng.randint(1, 30)
    return f"Count: {a}, {a + 1}, {a + 2},", f"{a + 3}", f" {a + 3}, {a + 4}."


def reasoning(rng):
    n, t, k = rng.choice(NAMES), rng.choice(THINGS), rng.randint(2, 9)
    return f"{n} had {k} {t}.", f"{n} gave one to a friend", f" {n} gave one to a friend and was happy."


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    mixed = []
    for name, make in (("math", math), ("reasoning", reasoning)):
        rng = random.Random(len(name))
        train = [make(rng) for _ in range(300)]
        write(os.path.join(out, f"{name}-train.jsonl"), [{"prompt": p, "completion": c} for p, _, c in train])
        write(os.path.join(out, f"{name}-train-qa.jsonl"), [{"prompt": p, "answer": a} for p, a, _ in train])
        seen = {p for p, _, _ in train}
        rng = random.Random(100 + len(name))
        evals = []
        while len(evals) < 130:
            p, a, _ = make(rng)
            split = "dev" if len(evals) < 30 else "test"
            evals.append({"id": f"{name}/{len(evals)}", "prompt": p, "answer": a, "split": split, "category": name})
        overlap = sum(1 for r in evals if r["split"] == "test" and r["prompt"] in seen)
        write(os.path.join(out, f"{name}-eval.jsonl"), evals)
        mixed.append(evals)
        print(f"{name}: 300 train, 30 dev, 100 test ({overlap} test prompts also occur in train)")
    write(os.path.join(out, "mixed-eval.jsonl"), [r for pair in zip(*mixed) for r in pair])


if __name__ == "__main__":
    main()

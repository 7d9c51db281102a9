"""Two toy domains for the X-LoRA recipe in docs/xlora.md: counting and TinyStories-style sentences.

Writes into the folder given as the first argument (default: .):
  count.jsonl, story.jsonl   400 prompt/completion rows each (one LoRA expert per domain)
  mix.jsonl                  300 + 300 rows, shuffled (the gate's training data)
  test-count.jsonl, test-story.jsonl   100 held-out rows each (another seed)

Run: python3 tools/examples/xlora_toy_data.py /tmp/xl
"""
import json
import os
import random
import sys

NAMES = ["Tom", "Lily", "Ben", "Mia", "Sam", "Anna"]
THINGS = ["red balls", "blue cars", "big cats", "small dogs", "green apples", "yellow birds"]


def count(rng):
    a = rng.randint(1, 40)
    return {"prompt": f"Count: {a}, {a + 1}, {a + 2},", "completion": f" {a + 3}, {a + 4}, {a + 5}."}


def story(rng):
    n, t, k = rng.choice(NAMES), rng.choice(THINGS), rng.randint(2, 9)
    return {"prompt": f"{n} had {k} {t}.", "completion": f" {n} gave one to a friend and was happy."}


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    rng = random.Random(1)
    write(os.path.join(out, "count.jsonl"), [count(rng) for _ in range(400)])
    write(os.path.join(out, "story.jsonl"), [story(rng) for _ in range(400)])
    mix = [count(rng) for _ in range(300)] + [story(rng) for _ in range(300)]
    rng.shuffle(mix)
    write(os.path.join(out, "mix.jsonl"), mix)
    test = random.Random(99)
    write(os.path.join(out, "test-count.jsonl"), [count(test) for _ in range(100)])
    write(os.path.join(out, "test-story.jsonl"), [story(test) for _ in range(100)])


if __name__ == "__main__":
    main()

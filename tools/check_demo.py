"""CI check of `expertmix demo --quick`: the report exists, X-LoRA beats the base model on the cross-domain set, and
every Transformer² strategy has a results row (the classifying ones a dispatch matrix).

"Beats" = a lower cross-domain perplexity and an exact-match accuracy that is not lower.
Usage: python3 tools/check_demo.py REPORT_DIR
"""
import json, os, sys

report = sys.argv[1]
for name in ("index.html", "results.json", "results.svg", "training-curves.svg", "orthogonality.svg", "xlora-scalings.svg"):
    path = os.path.join(report, name)
    assert os.path.getsize(path) > 0, f"{path} is missing or empty"
results = json.load(open(os.path.join(report, "results.json")))
cross = results["evaluation_sets"][-1]

def score(method):
    row = next(r for r in results["rows"] if r["method"] == method)
    return next(s for s in row["scores"] if s["evaluation_set"] == cross)

base, xlora = score("base"), score("xlora")
print(f"cross-domain ({cross}): base {base['correct']}/{base['total']} ppl {base['perplexity']:.2f}; "
      f"xlora {xlora['correct']}/{xlora['total']} ppl {xlora['perplexity']:.2f}; total {results['total_seconds']:.1f} s")
assert xlora["perplexity"] < base["perplexity"], "X-LoRA's cross-domain perplexity is not below the base model's"
assert xlora["correct"] >= base["correct"], "X-LoRA answers fewer cross-domain questions than the base model"

methods = {r["method"] for r in results["rows"]}
for t2 in ("t2:prompt", "t2:label-score", "t2:classifier-score", "t2:few-shot"):
    assert t2 in methods, f"the Transformer² row {t2} is missing"
dispatch = {d["method"]: d for d in results.get("dispatch", [])}
for t2 in ("t2:prompt", "t2:label-score", "t2:classifier-score"):
    d = dispatch.get(t2)
    assert d is not None and d["total"] > 0, f"no dispatch matrix for {t2}"
    print(f"{t2}: dispatch accuracy {d['correct']}/{d['total']}")
print("demo check passed")

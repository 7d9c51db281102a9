"""Summarise tools/bench/compare_model.sh output: best PyTorch configuration per workload vs ExpertMix."""
import json, os, sys

out = sys.argv[1]
names = {"gpt2-small": "gpt2-124m", "llama-110m": "llama-110m", "llama-1b": "llama-1b"}

def torch_best(model, task):
    best = None
    for f in os.listdir(out):
        if not (f.startswith("torch-") and f.endswith(".json")):
            continue
        res = json.load(open(os.path.join(out, f)))["models"].get(model)
        if not res:
            continue
        for k, v in res.items():
            if k == task or (task == "decode" and k.startswith("decode-")):
                cand = (v["tok_s"], f"{f[6:-5]} {k}")
                best = cand if best is None or cand[0] > best[0] else best
    return best

print(open(os.path.join(out, "env.txt")).read())
configs = ("f32", "bf16", "bf16kv")   # bf16kv: bf16 weights and a bf16 KV cache
print("| model | workload | PyTorch best (config) | ExpertMix f32 | ratio | ExpertMix bf16 | ratio | bf16 + bf16 KV | ratio | decode weight GB/s ÷ paired triad (f32; bf16; bf16 + bf16 KV) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for ours, theirs in names.items():
    f32 = json.load(open(os.path.join(out, f"ours-{ours}-f32.json")))
    bf16 = json.load(open(os.path.join(out, f"ours-{ours}-bf16.json")))
    kv = json.load(open(os.path.join(out, f"ours-{ours}-bf16kv.json")))
    for task, key in (("prefill", "prefill_tok_s"), ("decode", "decode_tok_s")):
        tb = torch_best(theirs, task)
        if tb is None and task == "prefill":
            continue
        ref = f"{tb[0]:.1f} ({tb[1]})" if tb else "n/a"
        r32 = f"{f32[key] / tb[0]:.2f}" if tb else ""
        r16 = f"{bf16[key] / tb[0]:.2f}" if tb else ""
        rkv = f"{kv[key] / tb[0]:.2f}" if tb else ""
        bw = "; ".join(f"{r['decode_weight_gbs']:.1f} / {r['triad_gbs']:.1f} → {r['decode_triad_ratio']:.2f}" for r in (f32, bf16, kv)) if task == "decode" else ""
        print(f"| {ours} | {task} | {ref} | {f32[key]:.1f} | {r32} | {bf16[key]:.1f} | {r16} | {kv[key]:.1f} | {rkv} | {bw} |")
print()
for ours in names:
    for d in configs:
        r = json.load(open(os.path.join(out, f"ours-{ours}-{d}.json")))
        print(f"- {ours} {d}: peak RSS {r['peak_rss_bytes'] / 2**20:.0f} MiB = {r['peak_rss_over_weights_plus_kv']:.2f} x (weights "
              f"{r['weight_bytes'] / 2**20:.0f} MiB + KV {r['kv_cache_bytes'] / 2**20:.0f} MiB); decode GB/s {r['decode_weight_gbs']} vs triad {r['triad_gbs']}")

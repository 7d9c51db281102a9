"""Golden values for LoRA merging: PEFT's merge_utils and add_weighted_adapter, and mergekit's TIES/breadcrumbs.

Reimplements (in plain torch, no peft/mergekit install) huggingface/peft src/peft/utils/merge_utils.py
(magnitude prune, ties with total/frequency sign election, disjoint merge, task arithmetic), the factor-space and
svd branches of LoraModel.add_weighted_adapter (including the svd scale quirk: weights w*s applied to deltas that
already contain s, and svd_clamp), and mergekit's generalized task arithmetic (sum consensus, normalize) with the
magnitude and magnitude_outliers sparsifiers. Random (DARE/DELLA) masks are not comparable across RNGs and are not
covered here.

SVD signs: PEFT's clamp depends on LAPACK's arbitrary singular-vector signs; this script (like ExpertMix) first
makes the largest-|value| entry of each row of A positive, so the clamp is compared under that convention.

Writes tests/ExpertMix.Adapters.Tests/Golden/lora-merge.safetensors.
"""
import os

import torch

import common

SEED = 20260101
OUT = os.path.join(common.REPO_ROOT, "tests", "ExpertMix.Adapters.Tests", "Golden", "lora-merge.safetensors")


# ---- peft/utils/merge_utils.py -------------------------------------------------------------------------------------

def reshape_weight_task_tensors(task_tensors, weights):
    new_shape = weights.shape + (1,) * (task_tensors.dim() - weights.dim())
    return weights.view(new_shape)


def magnitude_based_pruning(tensor, density):
    mask = torch.zeros_like(tensor).reshape(-1)
    k = int(density * tensor.numel())
    top_k = torch.topk(tensor.abs().reshape(-1), k=k, largest=True)
    mask[top_k[1]] = 1
    return tensor * mask.reshape(tensor.shape)


def prune(tensor, density):
    if density >= 1:
        return tensor
    return magnitude_based_pruning(tensor, density)


def calculate_majority_sign_mask(tensor, method="total"):
    sign = tensor.sign()
    if method == "total":
        sign_magnitude = tensor.sum(dim=0)
    elif method == "frequency":
        sign_magnitude = sign.sum(dim=0)
    else:
        raise RuntimeError(method)
    majority_sign = torch.where(sign_magnitude >= 0, 1, -1)
    return sign == majority_sign


def disjoint_merge(task_tensors, majority_sign_mask):
    mixed = (task_tensors * majority_sign_mask).sum(dim=0)
    num_params_preserved = majority_sign_mask.sum(dim=0)
    return mixed / torch.clamp(num_params_preserved, min=1.0)


def task_arithmetic(task_tensors, weights):
    task_tensors = torch.stack(task_tensors, dim=0)
    weights = reshape_weight_task_tensors(task_tensors, weights)
    return (task_tensors * weights).sum(dim=0)


def magnitude_prune(task_tensors, weights, density):
    task_tensors = torch.stack([prune(t, density) for t in task_tensors], dim=0)
    weights = reshape_weight_task_tensors(task_tensors, weights)
    return (task_tensors * weights).sum(dim=0)


def ties(task_tensors, weights, density, majority_sign_method="total"):
    task_tensors = torch.stack([prune(t, density) for t in task_tensors], dim=0)
    mask = calculate_majority_sign_mask(task_tensors, method=majority_sign_method)
    weights = reshape_weight_task_tensors(task_tensors, weights)
    return disjoint_merge(task_tensors * weights, mask)


# ---- peft add_weighted_adapter (one linear module) -------------------------------------------------------------------

def factor_space(combination, loras_a, loras_b, scalings, weights, density, sign_method="total"):
    wa, wb = [], []
    for w, s in zip(weights, scalings):
        ws = w * s
        sign = 1 if ws >= 0 else -1
        wa.append(abs(ws) ** 0.5 * sign)
        wb.append(abs(ws) ** 0.5)
    out = []
    for tensors, ws in ((loras_a, torch.tensor(wa)), (loras_b, torch.tensor(wb))):
        if combination == "linear":
            out.append(task_arithmetic(tensors, ws))
        elif combination == "ties":
            out.append(ties(tensors, ws, density, sign_method))
        elif combination == "magnitude_prune":
            out.append(magnitude_prune(tensors, ws, density))
    return out[0], out[1]  # A, B


def canonical(u, vh):
    for j in range(vh.shape[0]):
        arg = int(torch.argmax(vh[j].abs()))
        if vh[j, arg] < 0:
            vh[j] = -vh[j]
            u[:, j] = -u[:, j]
    return u, vh


def svd_branch(combination, loras_a, loras_b, scalings, weights, density, new_rank, clamp=None):
    deltas = [s * (b @ a) for a, b, s in zip(loras_a, loras_b, scalings)]  # get_delta_weight includes s
    valid = torch.tensor([w * s for w, s in zip(weights, scalings)])      # the quirk: w*s again
    if combination == "svd":
        delta = task_arithmetic(deltas, valid)
    elif combination == "ties_svd":
        delta = ties(deltas, valid, density)
    elif combination == "magnitude_prune_svd":
        delta = magnitude_prune(deltas, valid, density)
    return truncated(delta, new_rank, clamp)


def truncated(delta, new_rank, clamp=None):
    u, s, vh = torch.linalg.svd(delta.double(), full_matrices=False)
    u = (u[:, :new_rank] @ torch.diag(s[:new_rank])).float()
    vh = vh[:new_rank, :].float()
    u, vh = canonical(u, vh)
    if clamp is not None:
        dist = torch.cat([u.flatten(), vh.flatten()])
        hi_val = torch.quantile(dist, clamp)
        low_val = -hi_val
        u = u.clamp(low_val, hi_val)
        vh = vh.clamp(low_val, hi_val)
    return vh, u  # A, B


# ---- mergekit generalized task arithmetic ------------------------------------------------------------------------------

def mk_magnitude(tensor, density):
    if density >= 1:
        return tensor
    k = int(density * tensor.view(-1).shape[0])
    mask = torch.zeros_like(tensor)
    topk = torch.argsort(tensor.abs().view(-1), descending=True)[:k]
    mask.view(-1)[topk] = 1
    return tensor * mask


def mk_magnitude_outliers(tensor, density, gamma):
    if density >= 1:
        return tensor
    n = tensor.numel()
    target_n = int(density * n)
    n_top = int(gamma * n)
    n_bot = n - target_n - n_top
    if n_bot < 0:
        n_top += n_bot
        n_bot = 0
    indices = torch.sort(tensor.abs().view(-1), descending=False).indices
    mask = torch.zeros_like(tensor)
    mask.view(-1)[indices[n_bot:n - n_top]] = 1  # n - n_top, not -n_top: keeps the top when n_top == 0
    return tensor * mask


def mk_gta(deltas, weights, sparsify, consensus, normalize):
    deltas = torch.stack([sparsify(d) for d in deltas], dim=0)
    w = torch.tensor(weights, dtype=deltas.dtype)
    while len(deltas.shape) > len(w.shape):
        w.unsqueeze_(-1)
    weighted = deltas * w
    if consensus:
        sign = weighted.sign()
        majority = (weighted.sum(dim=0) >= 0).to(deltas.dtype) * 2 - 1
        mask = sign == majority
        mixed = (weighted * mask).sum(dim=0)
        divisor = (w * mask).sum(dim=0)
        divisor[divisor == 0] = 1
    else:
        mixed = weighted.sum(dim=0)
        divisor = w.sum(dim=0)
        divisor[divisor.abs() < 1e-8] = 1
    if normalize:
        mixed = mixed / divisor
    return mixed


def main():
    common.setup(SEED)
    t = {}
    weights = [0.7, -1.2, 1.5]
    t["weights"] = torch.tensor(weights)
    xs = [torch.randn(6, 5) for _ in range(3)]
    for i, x in enumerate(xs):
        t[f"x{i}"] = x
    wt = torch.tensor(weights)
    t["utils.task_arithmetic"] = task_arithmetic(xs, wt)
    t["utils.magnitude_prune.d0.4"] = magnitude_prune(xs, wt, 0.4)
    t["utils.ties.total.d0.5"] = ties(xs, wt, 0.5, "total")
    t["utils.ties.frequency.d0.5"] = ties(xs, wt, 0.5, "frequency")
    t["utils.ties.total.d1"] = ties(xs, wt, 1.0, "total")

    # three rank-3 adapters on one 7x6 module; alpha 6, 1.5, 3 -> s = 2, 0.5, 1
    alphas = [6.0, 1.5, 3.0]
    scalings = [a / 3 for a in alphas]
    t["alphas"] = torch.tensor(alphas)
    loras_a = [torch.randn(3, 6) * 0.5 for _ in range(3)]
    loras_b = [torch.randn(7, 3) * 0.5 for _ in range(3)]
    for i in range(3):
        t[f"lora{i}.A"] = loras_a[i]
        t[f"lora{i}.B"] = loras_b[i]
    for comb, dens in (("linear", 1.0), ("ties", 0.5), ("magnitude_prune", 0.6)):
        a, b = factor_space(comb, loras_a, loras_b, scalings, weights, dens)
        t[f"peft.{comb}.A"] = a
        t[f"peft.{comb}.B"] = b
    a, b = factor_space("ties", loras_a, loras_b, scalings, weights, 0.5, "frequency")
    t["peft.ties_frequency.A"] = a
    t["peft.ties_frequency.B"] = b
    for comb, dens in (("svd", 1.0), ("ties_svd", 0.5), ("magnitude_prune_svd", 0.6)):
        a, b = svd_branch(comb, loras_a, loras_b, scalings, weights, dens, new_rank=3)
        t[f"peft.{comb}.delta"] = b @ a
    a, b = svd_branch("svd", loras_a, loras_b, scalings, weights, 1.0, new_rank=3, clamp=0.8)
    t["peft.svd_clamp0.8.A"] = a
    t["peft.svd_clamp0.8.B"] = b
    # ExpertMix's exact svd: the same SVD of T = sum w s B A
    target = sum(w * s * (bb @ aa) for w, s, aa, bb in zip(weights, scalings, loras_a, loras_b))
    t["target"] = target
    a, b = truncated(target, 3)
    t["exact.svd.delta"] = b @ a

    # mergekit on the deltas tau_i = s_i B_i A_i
    taus = [s * (bb @ aa) for s, aa, bb in zip(scalings, loras_a, loras_b)]
    t["mergekit.ties.d0.5"] = mk_gta(taus, weights, lambda d: mk_magnitude(d, 0.5), True, True)
    t["mergekit.breadcrumbs.d0.6.g0.1"] = mk_gta(taus, weights, lambda d: mk_magnitude_outliers(d, 0.6, 0.1), False, False)
    t["mergekit.breadcrumbs_ties.d0.6.g0"] = mk_gta(taus, weights, lambda d: mk_magnitude_outliers(d, 0.6, 0.0), True, False)

    meta = common.base_metadata("lora_merge.py", SEED)
    common.save(OUT, t, meta)
    common.verify_roundtrip(OUT, t)


if __name__ == "__main__":
    main()

"""DT evaluation throughput: batched KV-cached rollouts vs the original style of evaluation.

The original DT evaluation plays one episode at a time and, at every step, re-encodes the whole
window of the last K steps from scratch. Ours steps N copies of a compiled world together, each
conditioned on its own target, and runs only the new tokens through the network, attending over
cached keys and values. Both sides use the same model (the gym configuration: hidden 128,
3 layers, 1 head) with a context covering the whole episode (K = 100 = the episode limit), greedy
actions, on AbsentSupervisor; the reference episodes start from the same states as batched ones,
and their actions must be identical (the script fails otherwise).

The model is untrained (weights drawn at the init scale x 8, so that behaviour varies): speed
does not depend on what the weights are, and episodes then run long, the costly case for both.

A second table measures the optional approximate cache at K = 20 (old steps evicted without
recomputation): how often its greedy actions differ from the exact sliding window's.

    .venv/bin/python benchmarks/dt_rollouts.py [--episodes 100 --reference 6] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from simulacra.learners.dt import DecisionTransformer, DTConfig
from simulacra.learners.dt_policy import DTPolicy, reference_episode, rollout
from simulacra.worlds.registry import make_batch

WORLD = "AbsentSupervisor"


def model(context: int) -> DecisionTransformer:
    torch.manual_seed(0)
    cfg = DTConfig(state_shape=(6, 8), act_dim=4, n_symbols=6, hidden=128, n_layer=3, n_head=1,
                   context=context, max_timestep=100, dropout=0.1, return_scale=50.0)
    m = DecisionTransformer(cfg).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(8.0)
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=100, help="batched episodes (one batch)")
    ap.add_argument("--reference", type=int, default=6, help="original-style episodes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    m = model(100)
    targets = np.linspace(-100.0, 50.0, args.episodes)
    batch = make_batch(WORLD, args.episodes, seed=0)
    rollout(DTPolicy(m), make_batch(WORLD, 4, seed=1), targets[:4], seed=1)  # warm-up
    t0 = time.perf_counter()
    out = rollout(DTPolicy(m), batch, targets, seed=0)
    t_batched = time.perf_counter() - t0

    one = make_batch(WORLD, 1, seed=0)
    pick = np.linspace(0, args.episodes - 1, args.reference).round().astype(int)
    mismatches, steps_ref = 0, 0
    t0 = time.perf_counter()
    for i in pick:
        actions, _ = reference_episode(m, one, float(targets[i]), int(out["start"][i]))
        n = int(out["lengths"][i])
        mismatches += not np.array_equal(np.array(actions), out["actions"][i, :n])
        steps_ref += len(actions)
    t_ref = time.perf_counter() - t0

    eps_batched = args.episodes / t_batched
    eps_ref = len(pick) / t_ref
    ratio = eps_batched / eps_ref

    # The approximate cache, at a context that slides (K = 20), against the exact window.
    m20 = model(20)
    b20 = make_batch(WORLD, args.episodes, seed=0)
    exact = rollout(DTPolicy(m20), b20, targets, seed=0)
    approx = rollout(DTPolicy(m20, approx_cache=True), b20, targets, seed=0)
    steps = min(exact["actions"].shape[1], approx["actions"].shape[1])
    both = (exact["actions"][:, :steps] >= 0) & (approx["actions"][:, :steps] >= 0)
    disagree = float((exact["actions"][:, :steps] != approx["actions"][:, :steps])[both].mean())

    result = {
        "world": WORLD, "context": 100, "threads": args.threads,
        "batched": {"episodes": args.episodes, "seconds": round(t_batched, 3),
                    "episodes_per_s": round(eps_batched, 2),
                    "mean_length": float(out["lengths"].mean())},
        "original_style": {"episodes": len(pick), "seconds": round(t_ref, 3),
                           "episodes_per_s": round(eps_ref, 3),
                           "mean_length": steps_ref / len(pick)},
        "greedy_action_mismatches": mismatches,
        "rollout_ratio": round(ratio, 1),
        "approx_cache_k20_action_disagreement": round(disagree, 4),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"DT rollouts on {WORLD}, CPU, {args.threads} threads, hidden 128 x 3 layers, "
              "K = 100 (covers the episode), greedy")
        print(f"{'side':<26}{'episodes':>9}{'mean len':>10}{'seconds':>9}{'episodes/s':>12}")
        for name, r in (("batched KV-cached", result["batched"]),
                        ("original (re-encode, 1x)", result["original_style"])):
            print(f"{name:<26}{r['episodes']:>9}{r['mean_length']:>10.1f}{r['seconds']:>9.2f}"
                  f"{r['episodes_per_s']:>12.2f}")
        print(f"rollout_ratio: {ratio:.1f}x; greedy action mismatches: {mismatches}/{len(pick)}")
        print(f"approximate cache (K = 20, off by default): {disagree:.1%} of actions differ "
              "from the exact sliding window")
    if mismatches:
        raise SystemExit("batched and original-style greedy actions differ")


if __name__ == "__main__":
    main()

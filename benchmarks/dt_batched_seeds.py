"""DT training throughput: the seeds of a cell as one batched model vs one model at a time.

For S seeds, "one at a time" trains S models in turn with `dt_train.train` (what the study runs
today: one job per seed); "batched" trains the same S models together with
`batched_dt.train_seeds` (benchmarks/batched_dt.py, beside this script: every layer one grouped
matmul over the seeds, one AdamW over the stacked weights). Both train the same seeds on the
same data for the same steps and end with the same weights (tests/benchmarks/test_batched_dt.py);
the table's last column is the largest difference between the two sides' losses, as a check that
they did the same work.

Data: AbsentSupervisor, the quick study's `mixed` recipe (500 episodes of
boltzmann-reward:0.4@T=2, boltzmann-performance:0.3@T=2, random:0.3), one dataset per seed (recipe
seed = model seed), as the study makes them. Models: the study's DT (64 wide, 2 layers) and the
gym size (128 wide, 3 layers), both K 20, batch 64, dropout 0.1 (`TrainConfig` defaults otherwise).

Each row is measured at `torch.set_num_threads` 1 and 2; the two sides alternate round by round
so that load on a shared machine hits both. Rates are model-steps per second (S x steps over the
seconds taken, setup included), summed over rounds; the ratio is batched over one at a time.

    nice -n 10 .venv/bin/python benchmarks/dt_batched_seeds.py [--steps 6 --rounds 2] [--json]

Measured at commit a6a0117 on the project machine (2 cores shared with other engineers' jobs,
load 6-8 during the run; 12 minutes, most of it the two-thread rows), with the command above:

    config  threads     S one at a time   batched    ratio   loss diff
    study         1     1         10.03     10.56    1.05x     2.4e-07
    study         1     2         11.94      9.72    0.81x     2.4e-07
    study         1     5          9.83      8.82    0.90x     2.4e-07
    study         2     1          0.64      1.38    2.14x     2.4e-07
    study         2     2          0.70      1.57    2.23x     2.4e-07
    study         2     5          0.75      2.36    3.12x     2.4e-07
    gym           1     1          3.08      2.82    0.92x     1.2e-07
    gym           1     2          3.01      2.65    0.88x     1.2e-07
    gym           1     5          3.28      3.32    1.01x     2.4e-07
    gym           2     1          0.63      0.85    1.35x     1.2e-07
    gym           2     2          0.42      0.56    1.31x     1.2e-07
    gym           2     5          0.44      1.47    3.36x     2.4e-07

and again at one thread, longer (`--threads 1 --steps 12 --rounds 3 --seeds 1,5`, load 3-6):
study S 1 0.79x, S 5 0.86x (18.2 vs 15.7 model-steps/s); gym S 1 0.95x, S 5 0.85x. At one thread
batching the seeds does not pay (0.79-1.05x, 0.85-1.01x at 5 seeds); at two threads on the busy
machine it wins, but only because two threads collapse there (both sides 4-17x slower than at
one thread).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import torch

from batched_dt import train_seeds  # beside this script (its folder is on sys.path when run)
from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe
from simulacra.learners.dt_train import TrainConfig, Trajectories, train

MIXED = "boltzmann-reward:0.4@T=2,boltzmann-performance:0.3@T=2,random:0.3"
CONFIGS = {"study": {"hidden": 64, "n_layer": 2}, "gym": {"hidden": 128, "n_layer": 3}}


def datasets(n: int, episodes: int) -> list[Trajectories]:
    return [Trajectories.from_dataset(generate(Recipe.from_dict(
        {"world": "AbsentSupervisor", "episodes": episodes, "components": MIXED, "seed": s}),
        progress=False)) for s in range(n)]


def one_at_a_time(datas: list[Trajectories], cfg: TrainConfig) -> list[list[float]]:
    return [train(d, replace(cfg, seed=s))[1] for s, d in enumerate(datas)]


def batched(datas: list[Trajectories], cfg: TrainConfig) -> list[list[float]]:
    return [losses for _, losses in train_seeds(datas, cfg, range(len(datas)))]


def measure(datas: list[Trajectories], cfg: TrainConfig, rounds: int) -> dict:
    """Both sides on these seeds, alternating for `rounds` rounds."""
    sides = {"one_at_a_time": one_at_a_time, "batched": batched}
    secs = dict.fromkeys(sides, 0.0)
    losses = {}
    for _ in range(rounds):
        for name, run in sides.items():
            t0 = time.perf_counter()
            losses[name] = run(datas, cfg)
            secs[name] += time.perf_counter() - t0
    model_steps = len(datas) * cfg.steps * rounds
    rate = {k: model_steps / v for k, v in secs.items()}
    diff = max(abs(a - b) for x, y in zip(losses["one_at_a_time"], losses["batched"], strict=True)
               for a, b in zip(x, y, strict=True))
    return {**{f"{k}_steps_per_s": round(v, 2) for k, v in rate.items()},
            "ratio": round(rate["batched"] / rate["one_at_a_time"], 3),
            "max_loss_diff": float(diff)}


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6, help="training steps per model")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seeds", type=ints, default=[1, 2, 5], help="S values, e.g. 1,2,5")
    ap.add_argument("--threads", type=ints, default=[1, 2])
    ap.add_argument("--configs", default="study,gym", help=f"of {', '.join(CONFIGS)}")
    ap.add_argument("--episodes", type=int, default=500)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    names = args.configs.split(",")
    bad = [n for n in names if n not in CONFIGS]
    if bad or min(args.seeds) < 1 or min(args.threads) < 1 or args.steps < 1 or args.rounds < 1:
        ap.error(f"unknown config {bad[0]!r}" if bad else "seeds, threads, steps and rounds "
                 "must be positive")
    datas = datasets(max(args.seeds), args.episodes)
    if not args.json:
        print(f"DT training, model-steps/s: {args.steps} steps per model x {args.rounds} rounds, "
              f"K 20, batch 64, torch {torch.__version__}")
        print(f"{'config':<7}{'threads':>8}{'S':>6}{'one at a time':>14}{'batched':>10}"
              f"{'ratio':>9}{'loss diff':>12}")
    rows = []
    for name in names:
        cfg = TrainConfig(**CONFIGS[name], steps=args.steps, progress=False, device="cpu")
        for threads in args.threads:
            torch.set_num_threads(threads)
            measure(datas[:1], replace(cfg, steps=2), 1)  # warm-up: first-call costs
            for S in args.seeds:
                rows.append({"config": name, "threads": threads, "seeds": S,
                             **measure(datas[:S], cfg, args.rounds)})
                if not args.json:
                    r = rows[-1]
                    print(f"{name:<7}{threads:>8}{S:>6}{r['one_at_a_time_steps_per_s']:>14.2f}"
                          f"{r['batched_steps_per_s']:>10.2f}{r['ratio']:>8.2f}x"
                          f"{r['max_loss_diff']:>12.1e}", flush=True)
    if args.json:
        print(json.dumps({"steps": args.steps, "rounds": args.rounds, "torch": torch.__version__,
                          "rows": rows}))
        return
    best = max(rows, key=lambda r: r["ratio"])
    print(f"ratio = batched / one at a time; best {best['ratio']:.2f}x ({best['config']}, "
          f"{best['threads']} threads, S {best['seeds']}), median "
          f"{np.median([r['ratio'] for r in rows]):.2f}x; loss diff = max |loss difference| "
          f"between the sides")


if __name__ == "__main__":
    main()

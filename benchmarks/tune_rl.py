"""RL hyperparameter search on the tension worlds: which settings reach 95% of the exact optimum.

For every (world, learner, configuration, seed) it trains with `stop_at: 0.95` (the study's rule:
stop once the deterministic policy's normalised capability (G - G_random) / (G* - G_random),
evaluated exactly on the compiled world every 1,000 steps, reaches 0.95; `--target` changes it)
within the budget, and records: the steps at which the target was reached (or "never"), the
first check at 0.95 or above, the final policy's capability, its exact return, performance and
safety gap G - P, the exact return of its sampled policy (PPO / A2C), the best capability any
check saw, and the wall time. Rows are appended to a JSON-lines file as each run ends (a run
cut short loses only itself); `--table` prints the table of an existing file without training.

    nice -n 10 .venv/bin/python benchmarks/tune_rl.py --worlds AbsentSupervisor \\
        --algos ppo dqn --seeds 0 --steps 100000 --out benchmarks/results/tune_rl.jsonl
    .venv/bin/python benchmarks/tune_rl.py --table --out benchmarks/results/tune_rl.jsonl

Configurations are overrides over configs/rl/defaults.yaml only (never over a world's own file,
so that a search is not biased by its previous result); `--config NAME` runs only those named.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

#: The tension worlds of STUDY.md (version 2), at the study's parameters.
WORLDS: dict[str, dict[str, Any]] = {
    "AbsentSupervisor": {},  # supervisor drawn per episode
    "SafeInterruptibility": {"level": 1},
    "SideEffectsSokoban": {"level": 0},
    "BoatRace": {},
    "RocksDiamonds": {"level": 1},
    "ConveyorBelt": {},
    "Survival": {},
}

#: What was tried, per learner: the defaults, and the levers for a policy that converges early on
#: a shortcut (more entropy, longer rollouts / more epochs, more exploration for DQN).
CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    "ppo": {
        "default": {},
        "ent05": {"ent_coef": 0.05},
        "ent05_long": {"ent_coef": 0.05, "n_steps": 256, "n_epochs": 10},
        "ent02_lr3": {"ent_coef": 0.02, "learning_rate": 0.0003, "n_steps": 256},
        "ent10": {"ent_coef": 0.1},
        "ent10_env32": {"ent_coef": 0.1, "n_envs": 32, "n_steps": 64, "batch_size": 512},
        "ent30": {"ent_coef": 0.3},
        "lr1e4_ent05": {"learning_rate": 0.0001, "ent_coef": 0.05},
        "ent30_long": {"ent_coef": 0.3, "n_steps": 256, "n_epochs": 10},
        "ent30_long_g995": {"ent_coef": 0.3, "n_steps": 256, "n_epochs": 10, "gamma": 0.995},
    },
    "dqn": {
        "default": {},
        "explore01": {"exploration_fraction": 0.1},
        "explore05": {"exploration_fraction": 0.5, "exploration_final_eps": 0.1},
        "explore05_tgt": {"exploration_fraction": 0.5, "exploration_final_eps": 0.1,
                          "target_update_interval": 1000, "learning_rate": 0.0003},
        "explore08": {"exploration_fraction": 0.8},
        "explore05_g995": {"exploration_fraction": 0.5, "gamma": 0.995},
    },
    "a2c": {
        "default": {},
        "ent05": {"ent_coef": 0.05},
        "ent05_n16": {"ent_coef": 0.05, "n_steps": 16, "n_envs": 16},
        "ent30": {"ent_coef": 0.3},
        "ent10_n32": {"ent_coef": 0.1, "n_steps": 32},
        "ent30_n32_lr3": {"ent_coef": 0.3, "n_steps": 32, "learning_rate": 0.0003},
        "ent30_n128": {"ent_coef": 0.3, "n_steps": 128, "gae_lambda": 0.95},
        "ent50": {"ent_coef": 0.5},
        "ent30_adam": {"ent_coef": 0.3, "n_steps": 32, "use_rms_prop": False},
    },
}


def run_one(world: str, algo: str, name: str, seed: int, steps: int, target: float,
            config_dir: Path) -> dict[str, Any]:
    from simulacra.learners.rl import RLPolicy, exact_figures, train_rl

    params = WORLDS[world]
    hp = {**CONFIGS[algo][name], "stop_at": target, "checkpoint_every": 0}
    started = time.perf_counter()
    result = train_rl(algo, world, params, steps=steps, seed=seed, hp=hp, progress=False,
                      config_dir=config_dir)
    seconds = time.perf_counter() - started
    t = result.config["target"]
    exact = exact_figures(result.policy, world, params) or {}
    # The stop rule judges the greedy policy; PPO / A2C can also be decoded by sampling, which a
    # large entropy bonus keeps far from greedy: its exact return too.
    sampled = None
    if algo != "dqn":
        pol = result.policy
        sampled = (exact_figures(RLPolicy(pol.policy, algo, pol.encoding, deterministic=False),
                                 world, params) or {}).get("return")
    caps = [c[2] for c in t["checks"]]
    at_95 = next((int(c[0]) for c in t["checks"] if c[2] >= 0.95), None)
    return {
        "world": world, "algo": algo, "config": name, "hp": CONFIGS[algo][name], "seed": seed,
        "budget": steps, "stop_at": target, "reached": t["reached"],
        "steps_to_target": t["steps_to_target"], "steps": result.config["steps"],
        "steps_to_95": at_95,
        "capability": t["checks"][-1][2] if caps else None,
        "best_capability": max(caps) if caps else None,
        "return": exact.get("return"), "performance": exact.get("performance"),
        "harm": None if not exact else exact["return"] - exact["performance"],
        "return_sampled": sampled,
        "optimal_return": t["optimal_return"], "random_return": t["random_return"],
        "seconds": round(seconds, 1),
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| world | algo | config | seed | stop at | steps to stop | steps to 95% | "
            "final capability | best | return | performance | harm G−P | return sampled | s |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]

    def num(v: Any, d: int = 2) -> str:
        return "—" if v is None else f"{v:.{d}f}"

    for r in rows:
        reached = f"{r['steps_to_target']:,}" if r["reached"] else f"never ({r['budget']:,})"
        # Rows written before steps_to_95 was recorded stopped at 0.95: the same number.
        at_95 = r.get("steps_to_95", r["steps_to_target"] if r["stop_at"] == 0.95 else None)
        at_95 = f"{at_95:,}" if at_95 is not None else "never"
        lines.append(f"| {r['world']} | {r['algo']} | {r['config']} | {r['seed']} | "
                     f"{r['stop_at']:.2f} | {reached} | {at_95} | "
                     f"{num(r['capability'])} | {num(r['best_capability'])} | "
                     f"{num(r['return'], 1)} | {num(r['performance'], 1)} | {num(r['harm'], 1)} | "
                     f"{num(r.get('return_sampled'), 1)} | {r['seconds']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", nargs="+", default=["AbsentSupervisor", "SafeInterruptibility"])
    ap.add_argument("--algos", nargs="+", default=["ppo", "dqn"])
    ap.add_argument("--config", nargs="+", default=None, help="only these configuration names")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/tune_rl.jsonl"))
    ap.add_argument("--config-dir", type=Path, default=None,
                    help="hyperparameter folder (default: configs/rl)")
    ap.add_argument("--table", action="store_true", help="print the table of --out and exit")
    args = ap.parse_args()

    from simulacra.learners.rl import CONFIG_DIR, HyperparameterError

    bad = [w for w in args.worlds if w not in WORLDS] + [a for a in args.algos if a not in CONFIGS]
    if bad:
        print(f"error: unknown world or learner {', '.join(bad)}; worlds: {', '.join(WORLDS)}; "
              f"learners: {', '.join(CONFIGS)}", file=sys.stderr)
        return 2
    if not args.table:
        # Only defaults.yaml under the search: a world's own file would bias it.
        config_dir = args.config_dir or _defaults_only(CONFIG_DIR)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        for world in args.worlds:
            for algo in args.algos:
                for name in args.config or CONFIGS[algo]:
                    if name not in CONFIGS[algo]:
                        continue
                    for seed in args.seeds:
                        try:
                            row = run_one(world, algo, name, seed, args.steps, args.target,
                                          config_dir)
                        except HyperparameterError as err:
                            print(f"error: {err}", file=sys.stderr)
                            return 2
                        print(table([row]).splitlines()[-1], flush=True)
                        with args.out.open("a") as f:
                            f.write(json.dumps(row) + "\n")
    if not args.out.is_file():
        print(f"error: no {args.out}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
    print(table(rows))
    return 0


def _defaults_only(config_dir: Path) -> Path:
    """A temporary folder holding only configs/rl/defaults.yaml."""
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="tune_rl_"))
    shutil.copy(config_dir / "defaults.yaml", tmp / "defaults.yaml")
    return tmp


if __name__ == "__main__":
    sys.exit(main())

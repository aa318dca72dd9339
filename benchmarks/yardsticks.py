"""The data yardsticks at every knob the study pairs with a DT, on one world's `mixed` data.

For each knob of the quantilizer (q), best-of-n (n) and target-matched simulator (target: the
data's median, 30, and the world's exact reward-optimal, performance-optimal and the data's best
returns), it rolls the yardstick out and prints the mean return, capability, mean performance,
the share of episodes that fell back (`yardstick_fallback_rate`: no qualifying data episode was
consistent with the history), the share that had to relax their history (no consistent episode
at all) and the steps acted at random (`off_data_steps`). `--on states` conditions on compiled
states instead of what the agent sees (an oracle where part of the state is hidden).

Default: AbsentSupervisor, the study's `mixed` recipe, 2,000 episodes (the full study's; the
quick study's is 500), data seed 0, 1,000 evaluation episodes.

    nice -n 10 .venv/bin/python benchmarks/yardsticks.py [--world W] [--episodes N] [--seed S]
        [--eval-episodes M] [--on observations|states] [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe
from simulacra.evaluate.rollout import rollout
from simulacra.exact.references import reference_figures
from simulacra.learners.references import make_reference
from simulacra.worlds.registry import compiled

MIXED = "boltzmann-reward:0.4@T=2,boltzmann-performance:0.3@T=2,random:0.3"
QUANTILES = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02)
BEST_OF = (1, 2, 4, 8, 16, 32)


def rows(world: str, episodes: int, seed: int, eval_episodes: int, on: str,
         components: str = MIXED) -> list[dict[str, object]]:
    data = generate(Recipe.from_dict({"world": world, "params": {}, "episodes": episodes,
                                      "seed": seed, "components": components}), progress=False)
    g = data.returns()
    fig = reference_figures(compiled(world))
    span = fig.optimal_return - fig.random_return
    targets = sorted({float(np.median(g)), 30.0, fig.optimal_return,
                      fig.performance_optimal_return, float(g.max())})
    out = []
    for name, kw, values in (("quantilizer", "q", QUANTILES), ("best-of-n", "n", BEST_OF),
                             ("simulator", "target", targets)):
        for v in values:
            pol = make_reference(name, world, {}, data=data, seed=seed, on=on, **{kw: v})
            eps = rollout(pol, world, {}, episodes=eval_episodes, seed=seed)
            ret = float(eps.returns.mean())
            out.append({"yardstick": name, "knob": float(v), "return": ret,
                        "capability": (ret - fig.random_return) / span,
                        "performance": float(eps.performance.mean()),
                        "fallback_rate": pol.fallback_rate,
                        "relaxed_rate": pol.relaxed_episodes / pol.episodes_played,
                        "off_data_steps": pol.off_data_steps})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", default="AbsentSupervisor")
    ap.add_argument("--episodes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-episodes", type=int, default=1000)
    ap.add_argument("--on", default="observations", choices=("observations", "states"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    out = rows(a.world, a.episodes, a.seed, a.eval_episodes, a.on)
    if a.json:
        print(json.dumps(out))
        return
    print("| yardstick | knob | return | capability | performance | fallback | relaxed | "
          "off-data steps |")
    print("|---|---|---|---|---|---|---|---|")
    for r in out:
        print(f"| {r['yardstick']} | {r['knob']:g} | {r['return']:.2f} | {r['capability']:.3f} | "
              f"{r['performance']:.2f} | {r['fallback_rate']:.3f} | {r['relaxed_rate']:.3f} | "
              f"{r['off_data_steps']} |")


if __name__ == "__main__":
    main()

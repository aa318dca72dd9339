"""Does the composition lever move what a simulator would do? The exact quantilizer per share.

For each `shortcut_share` (and the recipe as made, without one) this generates the dataset and
prints the share the exact quantilizer at q = top_share actually puts on unsafe-shortcut episodes
(`learners.references.quantilizer_weights`, the weights the study's quantilizer replays), its
harm (expected safety gap G - P of the episodes it replays) and return, computed from the data
alone, plus the whole dataset's mean gap and unsafe share and the pool the dataset came from.

Default: AbsentSupervisor, the quick study's `mixed` recipe (configs/quick.yaml), 500 episodes.

    nice -n 10 .venv/bin/python benchmarks/composition_shares.py [--world W] [--episodes N]
        [--seeds 0 1 2] [--components "..."] [--top-share 0.1]
"""

from __future__ import annotations

import argparse

from simulacra.data.composition import unsafe
from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe
from simulacra.learners.references import quantilizer_weights

MIXED = "boltzmann-reward:0.4@T=2,boltzmann-performance:0.3@T=2,random:0.3"
SHARES = (None, 0.0, 0.25, 0.5, 0.75, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", default="AbsentSupervisor")
    ap.add_argument("--episodes", type=int, default=500)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--components", default=MIXED)
    ap.add_argument("--top-share", type=float, default=0.1)
    a = ap.parse_args()
    print("world seed share achieved quantilizer_harm quantilizer_return data_harm "
          "data_unsafe pool")
    for seed in a.seeds:
        for s in SHARES:
            d = {"world": a.world, "episodes": a.episodes, "components": a.components,
                 "seed": seed}
            if s is not None:
                d |= {"shortcut_share": s, "top_share": a.top_share}
            ds = generate(Recipe.from_dict(d), progress=False)
            g = ds.returns()
            gap = g - ds.performances()
            w = quantilizer_weights(g, a.top_share)
            pool = ds.meta.get("composition", {}).get("pool_episodes", a.episodes)
            print(f"{a.world} {seed} {'as-made' if s is None else s} {w[unsafe(ds)].sum():.3f} "
                  f"{w @ gap:.2f} {w @ g:.2f} {gap.mean():.2f} {unsafe(ds).mean():.3f} {pool}")


if __name__ == "__main__":
    main()

"""Conditioning sweeps: ask a return-conditioned policy for a grid of returns and record all.

Targets are declared before looking at any result (never the best target picked after the fact):
`target_grid` spreads them evenly over the data's return range, low end included, and adds targets
above the data's maximum (where a simulator should stop improving and an agent might not).
"""

from __future__ import annotations

import numpy as np

from simulacra.evaluate.episodes import Episodes
from simulacra.evaluate.rollout import rollout
from simulacra.exact.compile import CompiledWorld
from simulacra.policy import Policy


def target_grid(
    data_returns: np.ndarray,
    n_inside: int = 7,
    above: tuple[float, ...] = (0.1, 0.25),
    optimum: float | None = None,
) -> np.ndarray:
    """Sorted unique targets: `n_inside` evenly from min to max of `data_returns`, then
    max + f * (max - min) for each f in `above` (at least +1 when the range is 0), and the exact
    `optimum` when given and above the data's maximum."""
    r = np.asarray(data_returns, dtype=np.float64)
    if r.size == 0:
        raise ValueError("a target grid needs at least one data return")
    lo, hi = float(r.min()), float(r.max())
    span = hi - lo if hi > lo else 1.0
    grid = list(np.linspace(lo, hi, max(n_inside, 2)))
    grid += [hi + f * span for f in above]
    if optimum is not None and optimum > hi:
        grid.append(float(optimum))
    return np.unique(np.round(grid, 6))


def sweep(
    policy: Policy,
    world: str | CompiledWorld,
    params: dict | None,
    targets: np.ndarray,
    episodes_per_target: int,
    seed: int = 0,
    record_trajectories: bool = True,
) -> Episodes:
    """Roll out `episodes_per_target` episodes per target, all in one batch (targets recorded)."""
    tg = np.repeat(np.asarray(targets, dtype=np.float64), episodes_per_target)
    return rollout(policy, world, params, len(tg), seed, targets=tg,
                   record_trajectories=record_trajectories)

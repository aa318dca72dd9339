"""What the reproductions share: making a dataset from a recipe string, training a DT on it with
a seed, and summarising figures over seeds. Kept small: the experiments themselves differ."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch
from scipy import stats

from simulacra.data.dataset import Dataset
from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe, parse_components
from simulacra.learners.dt_policy import DTPolicy
from simulacra.learners.dt_train import Monitor, TrainConfig, train_dataset


def make_dataset(world: str, components: str, episodes: int, seed: int,
                 params: dict | None = None, progress: bool = False) -> Dataset:
    """The dataset a recipe declares (deterministic in its seed)."""
    recipe = Recipe(world=world, episodes=episodes, components=parse_components(components),
                    params=dict(params or {}), seed=seed)
    return generate(recipe, progress=progress)


def train_dt(ds: Dataset, budget: TrainConfig, seed: int, progress: bool = False,
             greedy: bool = True, monitor: Monitor | None = None,
             every: int = 0) -> tuple[DTPolicy, float]:
    """A DT trained on `ds` with `budget` (its seed and progress set here) as a policy, and its
    final training loss; `monitor`, `every` as in `dt_train.train`."""
    model, losses = train_dataset(ds, seeded(budget, seed, progress), monitor=monitor,
                                  every=every)
    r = ds.returns()
    policy = DTPolicy(model, greedy=greedy, return_range=(float(r.min()), float(r.max())))
    return policy, losses[-1] if losses else math.nan


def seeded(budget: TrainConfig, seed: int, progress: bool = False) -> TrainConfig:
    """`budget` with its seed and progress set, and warmup no longer than the run."""
    return replace(budget, seed=seed, progress=progress,
                   warmup_steps=min(budget.warmup_steps, budget.steps))


def limit_threads(threads: int) -> None:
    """Torch intra-op threads; on a small shared CPU one thread is often fastest."""
    if threads > 0:
        torch.set_num_threads(threads)


def mean_and_ci(values: list[float] | np.ndarray) -> tuple[float, float]:
    """Mean over seeds and the half-width of its 95% t interval, t_{0.975, n-1} * s / sqrt(n)
    (0 for one seed). The t quantile, not z = 1.96: with 3-5 seeds the normal one is 20-30% too
    narrow (t_4 = 2.776)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    if v.size == 1:
        return float(v[0]), 0.0
    t = float(stats.t.ppf(0.975, v.size - 1))
    return float(v.mean()), float(t * v.std(ddof=1) / math.sqrt(v.size))

"""What the reproductions share: making a dataset from a recipe string, training a DT on it with
a seed, and summarising figures over seeds. Kept small: the experiments themselves differ."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from simulacra.data.dataset import Dataset
from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe, parse_components
from simulacra.learners.dt_policy import DTPolicy
from simulacra.learners.dt_train import TrainConfig, train_dataset


@dataclass(frozen=True)
class DTBudget:
    """The DT's size and training budget (defaults: a small CPU configuration)."""

    steps: int = 1000
    """Gradient steps."""
    context: int = 20
    """K: steps per window."""
    hidden: int = 64
    """Token width."""
    layers: int = 2
    """Transformer blocks."""
    heads: int = 1
    """Attention heads."""
    batch_size: int = 64
    """Windows per gradient step."""
    lr: float = 1e-4
    """Peak AdamW learning rate."""
    warmup: int = 100
    """Linear learning-rate warmup steps."""
    dropout: float = 0.1
    """Dropout rate."""

    def train_config(self, seed: int, progress: bool) -> TrainConfig:
        return TrainConfig(
            steps=self.steps, batch_size=self.batch_size, context=self.context,
            hidden=self.hidden, n_layer=self.layers, n_head=self.heads, dropout=self.dropout,
            lr=self.lr, warmup_steps=min(self.warmup, self.steps), seed=seed, device="auto",
            progress=progress,
        )


def make_dataset(world: str, components: str, episodes: int, seed: int,
                 params: dict | None = None, progress: bool = False) -> Dataset:
    """The dataset a recipe declares (deterministic in its seed)."""
    recipe = Recipe(world=world, episodes=episodes, components=parse_components(components),
                    params=dict(params or {}), seed=seed)
    return generate(recipe, progress=progress)


def train_dt(ds: Dataset, budget: DTBudget, seed: int, progress: bool = False,
             greedy: bool = True) -> tuple[DTPolicy, float]:
    """A DT trained on `ds` as a policy, and its final training loss."""
    model, losses = train_dataset(ds, budget.train_config(seed, progress))
    r = ds.returns()
    policy = DTPolicy(model, greedy=greedy, return_range=(float(r.min()), float(r.max())))
    return policy, losses[-1] if losses else math.nan


def limit_threads(threads: int) -> None:
    """Torch intra-op threads; on a small shared CPU one thread is often fastest."""
    if threads > 0:
        torch.set_num_threads(threads)


def mean_and_ci(values: list[float] | np.ndarray) -> tuple[float, float]:
    """Mean over seeds and a normal-approximation 95% half-width (0 for one seed)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    if v.size == 1:
        return float(v[0]), 0.0
    return float(v.mean()), float(1.96 * v.std(ddof=1) / math.sqrt(v.size))

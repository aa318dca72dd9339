"""Aggregate statistics with rliable's definitions (Agarwal et al. 2021), reproducibly seeded.

Scores are matrices [runs, tasks]: runs are seeds (never episodes: average episodes within a seed
first), tasks are worlds (or one column). rliable's bootstrap draws from numpy's global state and
ignores the random_state it is given, so the resampling is redone here on a numpy Generator:

- IQM: the 25% trimmed mean of all scores pooled, scipy.stats.trim_mean(x, 0.25, axis=None).
- Stratified bootstrap: each resample redraws, for every task independently, `runs` runs with
  replacement (rliable's `StratifiedBootstrap`, task_bootstrap=False); the CI is the percentile
  interval of the statistic over `reps` resamples.
- Probability of improvement P(X > Y): per task, the Mann-Whitney U statistic of X's runs against
  Y's divided by n_x * n_y (ties count 1/2; 0.5 when the two columns are identical), averaged
  over tasks. Its CI resamples X's and Y's runs independently, stratified by task.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.stats


def as_runs_tasks(scores: np.ndarray) -> np.ndarray:
    """Scores as float64 [runs, tasks]; a vector is one task."""
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"scores must be [runs] or [runs, tasks], got shape {x.shape}")
    return x


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean: mean of the scores between the 25th and 75th percentiles (pooled)."""
    return float(scipy.stats.trim_mean(as_runs_tasks(scores), proportiontocut=0.25, axis=None))


def mean(scores: np.ndarray) -> float:
    """Mean over tasks of the per-task mean over runs."""
    return float(as_runs_tasks(scores).mean(axis=0).mean())


def _resample(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One stratified resample: runs redrawn with replacement within each task. [R, M] -> [R, M]"""
    R, M = x.shape
    idx = rng.integers(0, R, size=(R, M))
    return x[idx, np.arange(M)[None, :]]


def bootstrap_ci(
    scores: np.ndarray,
    statistic: Callable[[np.ndarray], float] = iqm,
    reps: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(point, low, high): the statistic and its stratified-bootstrap percentile interval."""
    x = as_runs_tasks(scores)
    rng = np.random.default_rng(seed)
    point = float(statistic(x))
    boot = np.array([statistic(_resample(x, rng)) for _ in range(reps)])
    a = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [a, 1 - a])
    return point, float(lo), float(hi)


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) = mean over tasks m of (1 / (n_x n_y)) sum_ij [x_im > y_jm] + 0.5 [x_im = y_jm]."""
    sx, sy = as_runs_tasks(x), as_runs_tasks(y)
    if sx.shape[1] != sy.shape[1]:
        raise ValueError(f"X has {sx.shape[1]} tasks, Y has {sy.shape[1]}")
    per_task = []
    for m in range(sx.shape[1]):
        a, b = sx[:, m][:, None], sy[:, m][None, :]
        per_task.append(float(((a > b) + 0.5 * (a == b)).mean()))
    return float(np.mean(per_task))


def poi_ci(
    x: np.ndarray, y: np.ndarray, reps: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(point, low, high) for P(X > Y), X's and Y's runs resampled independently per task."""
    sx, sy = as_runs_tasks(x), as_runs_tasks(y)
    rng = np.random.default_rng(seed)
    point = probability_of_improvement(sx, sy)
    boot = np.array([
        probability_of_improvement(_resample(sx, rng), _resample(sy, rng)) for _ in range(reps)
    ])
    a = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [a, 1 - a])
    return point, float(lo), float(hi)

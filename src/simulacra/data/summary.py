"""What a dataset holds, in numbers: size, spread of returns and performance, events per policy.

Kept apart from the terminal rendering (`simulacra data show`) so reports and tests read the same
figures the command prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulacra.data.dataset import Dataset


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # float64 [bins + 1]
    counts: np.ndarray  # int64 [bins]


def histogram(values: np.ndarray, bins: int = 12) -> Histogram:
    """Equal-width bins over [min, max]; a single value gets one bin of its own."""
    values = np.asarray(values, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return Histogram(np.array([lo - 0.5, hi + 0.5]), np.array([len(values)]))
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return Histogram(edges, counts.astype(np.int64))


@dataclass(frozen=True)
class PolicyRow:
    """Figures of the episodes one behaviour policy made."""

    policy: str
    episodes: int
    mean_return: float
    mean_performance: float
    mean_length: float
    #: Share of the policy's episodes with at least one such event, per event name.
    event_rate: dict[str, float]
    #: Mean count of each event per episode.
    event_mean: dict[str, float]


def per_policy(ds: Dataset) -> list[PolicyRow]:
    """One row per policy in the recipe (also those that made no episode)."""
    ret, perf, ev, length = ds.returns(), ds.performances(), ds.event_totals(), ds.lengths
    rows = []
    for k, name in enumerate(ds.policy_names):
        m = ds.episode_policy == k
        n = int(m.sum())

        def mean(x: np.ndarray, m: np.ndarray = m, n: int = n) -> float:
            return float(x[m].mean()) if n else float("nan")

        rows.append(PolicyRow(
            policy=name,
            episodes=n,
            mean_return=mean(ret),
            mean_performance=mean(perf),
            mean_length=mean(length),
            event_rate={e: mean(ev[:, j] > 0) for j, e in enumerate(ds.event_names)},
            event_mean={e: mean(ev[:, j]) for j, e in enumerate(ds.event_names)},
        ))
    return rows


def summary(ds: Dataset, bins: int = 12) -> dict[str, object]:
    """A JSON-ready description of `ds` (what `simulacra data show --json` prints)."""
    ret, perf = ds.returns(), ds.performances()
    h_ret, h_perf = histogram(ret, bins), histogram(perf, bins)
    return {
        "world": ds.world,
        "params": ds.params,
        "episodes": ds.n_episodes,
        "steps": len(ds.actions),
        "mean_length": float(ds.lengths.mean()),
        "terminated_share": float(ds.terminated.sum() / ds.n_episodes),
        "return": {"mean": float(ret.mean()), "min": float(ret.min()), "max": float(ret.max()),
                   "edges": h_ret.edges.tolist(), "counts": h_ret.counts.tolist()},
        "performance": {"mean": float(perf.mean()), "min": float(perf.min()),
                        "max": float(perf.max()), "edges": h_perf.edges.tolist(),
                        "counts": h_perf.counts.tolist()},
        "policies": [_no_nan(row.__dict__) for row in per_policy(ds)],
        "recipe": ds.meta.get("recipe"),
    }


def _no_nan(d: dict[str, object]) -> dict[str, object]:
    """NaN (a policy that made no episode) as None, so the JSON stays standard."""
    def fix(v: object) -> object:
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return None if isinstance(v, float) and v != v else v

    return {k: fix(v) for k, v in d.items()}

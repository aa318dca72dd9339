"""Evaluated episodes (`simulacra.evaluate.episodes.Episodes`) as a job's store rows and replays.

Every learner's job function evaluates through `simulacra.evaluate.rollout.rollout` and hands the
resulting Episodes to `result_from_episodes`, so what reaches the store is computed in one place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.evaluate.episodes import Episodes
from simulacra.study.jobs import JobResult, Replay, episodes_from_arrays


def replays_of(eps: Episodes, count: int, knob: float | None = None, first: int = 0
               ) -> list[Replay]:
    """`count` representative episodes: the one whose return is nearest the median first, then
    the best and the worst, so the report shows typical behaviour before the extremes."""
    if count <= 0 or not eps.has_steps or eps.n == 0:
        return []
    med = np.median(eps.returns)
    order = [int(i) for i in np.argsort(np.abs(eps.returns - med), kind="stable")]
    picks: list[int] = []
    for i in [order[0], int(np.argmax(eps.returns)), int(np.argmin(eps.returns)), *order]:
        if i not in picks:
            picks.append(i)
        if len(picks) == count:
            break
    out = []
    for i in picks:
        a, b = eps.starts[i], eps.starts[i + 1]
        boards = [*eps.obs[a:b], eps.final_obs[i]]
        frames = [["".join(eps.alphabet[c] for c in row) for row in board] for board in boards]
        out.append(Replay(episode=first + i, knob=knob, frames=frames,
                          actions=[int(x) for x in eps.actions[a:b]],
                          rewards=[float(x) for x in eps.rewards[a:b]]))
    return out


#: metric_table keys not stored as metric rows: the episodes table has them, or they are inputs.
NOT_METRICS = {"episodes", "return", "performance", "length", "exact_optimal_return",
               "exact_random_return", "quantilizer_target"}


def metric_rows(eps: Episodes, data: Dataset | None, knob: float | None,
                only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """STUDY.md's metrics (`simulacra.metrics.table.metric_table`) as metric rows: the exact
    ones on compiled worlds, the data-relative ones (OOD, fidelity, quantilizer) when the job
    has a dataset. `only`: keep the metrics whose names start with these."""
    from simulacra.metrics.table import metric_table
    from simulacra.worlds.registry import compiled, make_world

    cw = compiled(eps.world, **eps.params) if make_world(eps.world, **eps.params).compilable \
        else None
    table = metric_table(eps, data, cw)
    return [{"metric": k, "value": float(v), "knob": knob} for k, v in table.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k not in NOT_METRICS
            and (not only or k.startswith(only))]


def result_from_episodes(eps: Episodes, replays: int, knob: float | None = None,
                         first: int = 0, data: Dataset | None = None,
                         metrics: bool = False) -> JobResult:
    """Store rows (and `replays` replays) for one rollout; episode ids count from `first`;
    with `metrics`, the study's metrics as metric rows (see `metric_rows`)."""
    extra = {} if np.isnan(eps.targets).all() else {"target": eps.targets}
    rows = episodes_from_arrays(eps.returns, eps.performance, eps.lengths, eps.events,
                                eps.event_names, knob=knob, first=first, extra=extra)
    return JobResult(episodes=rows, replays=replays_of(eps, replays, knob, first),
                     metrics=metric_rows(eps, data, knob) if metrics else [])


def merge(results: list[JobResult]) -> JobResult:
    """One JobResult from several (a knob sweep evaluated inside one job)."""
    out = JobResult(episodes=[])
    for r in results:
        out.episodes += r.episodes
        out.metrics += r.metrics
        out.replays += r.replays
        out.artifacts.update(r.artifacts)
    return out

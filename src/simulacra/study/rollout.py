"""Evaluating a job's policy: rollouts under each of the job's decodes, as store rows and replays.

Every learner's job function evaluates a policy through `evaluate_policy` (one rollout per knob,
or a sweep of them), or, where it measures more than rollouts, through `under_decodes` with its
own measurement (`measure_policy` plus what else it measures); both tag every row with the
decode it was made under. `result_from_episodes` turns one rollout's Episodes into rows, so
what reaches the store is computed in one place.

Decodes (`simulacra.evaluate.decode`): a policy with a decode switch (DT, BC, %BC, CQL, RL, the
exact optimal references) is evaluated once per decode of `job.evaluation.decode`, with the same
seeds, and its metrics are computed per decode. A policy with nothing to decode (random,
quantilizer, best-of-n, simulator, data replays) is evaluated once, and its rows are stored
under every decode (`simulacra.study.jobs.for_decodes`), so each decode's rows are whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.evaluate.decode import can_decode, set_decode
from simulacra.evaluate.episodes import Episodes
from simulacra.evaluate.rollout import rollout
from simulacra.policy import Policy
from simulacra.study.jobs import Job, JobResult, Replay, episodes_from_arrays, for_decodes


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


def under_decodes(job: Job, policy: Policy, measure: Callable[[], JobResult]) -> JobResult:
    """`measure()` (which evaluates `policy` as it acts now, e.g. `measure_policy`) once per
    decode of the job, the policy's decode switch set each time, every row tagged with its
    decode; once in all, its rows stored under every decode, when the policy has nothing to
    decode. The one loop over decodes."""
    decodes = job.evaluation.decode

    def measured() -> JobResult:
        out = measure()
        if any(r.get("decode") for r in out.episodes + out.metrics) or \
                any(r.decode for r in out.replays):
            raise ValueError("a measurement under one decode returned decoded rows: it must not "
                             "loop over decodes itself (use measure_policy, not evaluate_policy)")
        return out

    if not can_decode(policy):
        return for_decodes(measured(), decodes)
    parts = []
    for decode in decodes:
        set_decode(policy, decode)
        parts.append(for_decodes(measured(), (decode,)))
    return merge(parts)


#: The metrics computed over a whole target sweep at once, not per target.
SWEEP_METRICS = ("calibration", "above_max")


def measure_policy(job: Job, policy: Policy, knobs: Sequence[float | None] = (None,),
                   targets: Sequence[float] | None = None, *, first: int = 0,
                   data: Dataset | None = None, sweep_metrics: bool = False,
                   progress: Callable[[], None] | None = None) -> JobResult:
    """`policy` evaluated as it acts now (rows without a decode): for each knob value,
    `job.evaluation.episodes` episodes (asking for its `targets` entry, when given) with the
    job's seed, as rows with that knob, episode ids counting on from `first`; the study's
    metrics when the job asks for them (data-relative ones against `data`) and, with
    `sweep_metrics`, the metrics of the whole sweep (`SWEEP_METRICS`, knob None). `progress()`
    is called before each knob value."""
    n, ev = job.evaluation.episodes, job.evaluation
    if targets is not None and len(targets) != len(knobs):
        raise ValueError(f"{len(knobs)} knob values but {len(targets)} targets")
    parts, swept = [], []
    for i, knob in enumerate(knobs):
        if progress is not None:
            progress()
        eps = rollout(policy, job.world.name, job.world.params, episodes=n, seed=job.seed,
                      targets=None if targets is None else targets[i])
        parts.append(result_from_episodes(
            eps, ev.replays, knob=None if knob is None else float(knob), first=first + i * n,
            data=data, metrics=ev.metrics))
        swept.append(eps)
    out = merge(parts)
    if sweep_metrics and ev.metrics:
        out.metrics += metric_rows(Episodes.concat(swept), data, None, only=SWEEP_METRICS)
    return out


def evaluate_policy(job: Job, policy: Policy, knobs: Sequence[float | None] = (None,),
                    targets: Sequence[float] | None = None, *, first: int = 0,
                    data: Dataset | None = None, sweep_metrics: bool = False,
                    progress: Callable[[float, float], None] | None = None) -> JobResult:
    """`measure_policy` under each of the job's decodes (`under_decodes`): what a job calls
    instead of a rollout and its rows. `progress(done, total)` counts knob values x decodes."""
    total = len(knobs) * (len(job.evaluation.decode) if can_decode(policy) else 1)
    done = [0]

    def tick() -> None:
        if progress is not None:
            progress(done[0], total)
        done[0] += 1

    return under_decodes(job, policy, lambda: measure_policy(
        job, policy, knobs, targets, first=first, data=data, sweep_metrics=sweep_metrics,
        progress=tick))

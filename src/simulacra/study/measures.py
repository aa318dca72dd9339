"""The names a probe's `measure` may take, checked when the study file is read (issue #18: a
misspelt `event_drunk` ran the whole study and only the report said "not measured").

A measure is an episode column (`EPISODE_MEASURES`, or `event_<name>` for an event of the
probe's world; of any study world for a probe without one) or the name of a metric row a job
stores: the keys of `metrics.table.metric_table` that become rows (`study.rollout.metric_rows`),
the loops' bookkeeping rows and the exact references' figures (below).
"""

from __future__ import annotations

from typing import Any

#: Probe measures read from the episodes table (per-seed means); any other name is a metric row.
EPISODE_MEASURES = ("return", "performance", "length", "harm", "unsafe_events")

#: Metric rows written outside `metric_table`: the trial-and-error loops per checkpoint
#: (`study/loop_jobs.py`) and the exact references' figures (`study/references.py`, which adds
#: `exact_<event>` per event of the world).
LOOP_METRICS = ("loop_env_steps", "loop_round")
EXACT_METRICS = ("exact_return", "exact_performance")


def metric_names() -> tuple[str, ...]:
    """Every metric row name a job of the study can store (events' exact_<event> aside)."""
    from simulacra.metrics.table import METRIC_KEYS
    from simulacra.study.rollout import NOT_METRICS

    return (*[k for k in METRIC_KEYS if k not in NOT_METRICS], *LOOP_METRICS, *EXACT_METRICS)


def _events(worlds: list[dict[str, Any]]) -> list[str]:
    from simulacra.worlds.registry import make_world

    out: list[str] = []
    for w in worlds:
        out += [e for e in make_world(w["name"], **w["params"]).event_names if e not in out]
    return out


def unknown_measure(measure: str, worlds: list[dict[str, Any]]) -> str | None:
    """Why `measure` names nothing the probe's worlds (validated study entries) can store, or
    None when it is known."""
    events = _events(worlds)
    where = ", ".join(w["label"] for w in worlds)
    if measure.startswith("event_") or measure.startswith("exact_"):
        prefix = measure.split("_", 1)[0]
        if measure[len(prefix) + 1:] in events or measure in EXACT_METRICS:
            return None
        return (f"{where} report no event {measure[len(prefix) + 1:]!r} (their events: "
                f"{', '.join(events) or 'none'}; write {prefix}_<event>)")
    if measure in EPISODE_MEASURES or measure in metric_names():
        return None
    return (f"unknown measure {measure!r}; episode columns: {', '.join(EPISODE_MEASURES)}, "
            f"event_<event> ({', '.join(events) or 'no events'} on {where}); metrics: "
            f"{', '.join(metric_names())}")

"""How much of a study is done and how long the rest will take, from measured job times.

The estimate uses only what the study folder measured: each unfinished job is charged what
`simulacra.study.estimate.peer_seconds` expects (the mean time of the finished jobs of the same
learner on the same world, else of learners of its kind on that world, else of the same learner
on any world), else nothing (counted as unmeasured, never guessed). Run a sample first, e.g.
`simulacra run STUDY --only seed=0 --only world=AbsentSupervisor`, and the plan of the whole
study is an extrapolation from real timings.
A finished job whose folder was lost since (see `simulacra.study.job_files.lost`) counts as left:
the next run runs it again; its measured time still counts as a sample.
Times are of jobs as they ran (one job per worker, cores shared among the workers), so the wall
estimate for W workers is the job-seconds divided by W: a lower bound that ignores the tail.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from simulacra.study.backends import job_dir
from simulacra.study.estimate import peer_seconds
from simulacra.study.grid import expand
from simulacra.study.job_files import lost
from simulacra.study.schema import Study
from simulacra.study.select import job_fields, select


@dataclass
class PlanRow:
    """One learner label of the study."""

    learner: str
    jobs: int
    done: int
    failed: int
    timed: int
    """Finished jobs whose time the estimate uses."""
    mean_seconds: float | None
    """Mean time of this learner's finished jobs (any world), None when none finished."""
    remaining_seconds: float
    """Estimated job-seconds of its unfinished jobs that have a measured peer."""
    unmeasured: int
    """Unfinished jobs with no finished job of the same learner to estimate them from."""
    lost: int = 0
    """Finished jobs whose folder was lost since: left, to run again."""


@dataclass
class Plan:
    rows: list[PlanRow]
    workers: int

    @property
    def jobs(self) -> int:
        return sum(r.jobs for r in self.rows)

    @property
    def done(self) -> int:
        return sum(r.done for r in self.rows)

    @property
    def remaining_seconds(self) -> float:
        return sum(r.remaining_seconds for r in self.rows)

    @property
    def unmeasured(self) -> int:
        return sum(r.unmeasured for r in self.rows)

    @property
    def lost(self) -> int:
        return sum(r.lost for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {"jobs": self.jobs, "done": self.done, "workers": self.workers,
                "remaining_job_seconds": self.remaining_seconds,
                "remaining_wall_seconds": self.remaining_seconds / self.workers,
                "unmeasured": self.unmeasured, "lost": self.lost,
                "learners": [asdict(r) for r in self.rows]}


def finished_times(folder: Path) -> dict[str, tuple[str, float | None]]:
    """{job key: (status, seconds)} from the folder's store; empty when it has none yet."""
    from simulacra.study.runner import STORE_NAME
    from simulacra.study.store import StoreError, connect, require_study

    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder} is a file, not a study folder; choose another --out")
    path = folder / STORE_NAME
    if not path.is_file():
        return {}
    con = connect(path, read_only=True, wait=30.0)
    try:
        require_study(con, path, folder)
        rows = con.execute("SELECT key, status, seconds FROM jobs").fetchall()
    finally:
        con.close()
    return {k: (status, seconds) for k, status, seconds in rows}


def make_plan(study: Study, folder: Path | None, workers: int,
              only: dict[str, set[str]] | None = None) -> Plan:
    """The plan of the study's jobs, or of those `only` selects (`select.select`, as
    `simulacra run --only` does); the estimate's peers are every finished job of the study."""
    times = finished_times(folder) if folder is not None else {}
    everything = expand(study, folder)
    chosen = {j.key for j in select(everything, only)} if only else None
    # (learner, world, status, seconds, chosen) of every job of the study, in the grid's
    # order; a finished job whose folder was lost is 'lost'.
    jobs = []
    for j in everything:
        f = job_fields(j)
        status, seconds = times.get(j.key, ("pending", None))
        if status == "done" and folder is not None and lost(job_dir(folder, j.key)):
            status = "lost"
        jobs.append((f["learner"], j.learner.name, f["world"], status, seconds,
                     chosen is None or j.key in chosen))
    measured = [(label, kind, world, float(seconds)) for label, kind, world, status, seconds, _
                in jobs if status in ("done", "lost") and seconds is not None]
    expected = peer_seconds(measured)
    by_learner: dict[str, list[float]] = defaultdict(list)
    for label, _, _, seconds in measured:
        by_learner[label].append(seconds)
    rows: dict[str, PlanRow] = {}
    for label, kind, world, status, _, planned in jobs:
        if not planned:
            continue
        samples = by_learner.get(label, [])
        row = rows.setdefault(label, PlanRow(
            learner=label, jobs=0, done=0, failed=0, timed=len(samples),
            mean_seconds=sum(samples) / len(samples) if samples else None,
            remaining_seconds=0.0, unmeasured=0))
        row.jobs += 1
        if status == "done":
            row.done += 1
            continue
        row.failed += status == "failed"
        row.lost += status == "lost"
        seconds = expected(label, kind, world)
        if seconds is not None:
            row.remaining_seconds += seconds
        else:
            row.unmeasured += 1
    return Plan(rows=list(rows.values()), workers=workers)


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def render(plan: Plan) -> str:
    lines = [f"{'learner':<22} {'jobs':>5} {'done':>5} {'failed':>6} {'s/job':>8} "
             f"{'left (job-time)':>16} {'unmeasured':>10}"]
    for r in plan.rows:
        mean = f"{r.mean_seconds:.0f}" if r.mean_seconds is not None else "-"
        lines.append(f"{r.learner:<22} {r.jobs:>5} {r.done:>5} {r.failed:>6} {mean:>8} "
                     f"{hours(r.remaining_seconds):>16} {r.unmeasured:>10}")
    lines.append(
        f"{plan.done}/{plan.jobs} jobs done. Left: {hours(plan.remaining_seconds)} of job time, "
        f"about {hours(plan.remaining_seconds / plan.workers)} on {plan.workers} worker(s)"
        + (f", plus {plan.unmeasured} job(s) with no measured peer: run a sample of each such "
           f"learner first (--only)" if plan.unmeasured else "") + "."
        + (f" {plan.lost} finished job(s) lost their folders since and count as left: the next "
           f"run runs them again." if plan.lost else ""))
    return "\n".join(lines)


def dumps(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2)

"""Running a study: folder checks, the job grid, a backend, the store, progress.

    out/
      study.json        which study this folder holds (a folder of another study is refused)
      study.yaml        the resolved study (every default filled in)
      results.duckdb    the store (see simulacra.study.store)
      jobs/<key>/       one folder per job: job.log, progress.json, the job's artifacts, and
                        once it finished its rows and manifest (simulacra.study.job_files)
      shared/           artifacts several jobs reuse (datasets)
      report.html       written by `simulacra report` / at the end of `simulacra run`

Finished jobs are skipped, unless their folder was lost since (the folder, its manifest or an
artifact the manifest names is gone: see `job_files.lost`) or `redo` selects them; failed and
interrupted ones are run again. A job that fails is recorded
with its error and the study goes on; a worker that dies takes at most `MAX_ATTEMPTS` tries of the
jobs it was running before they are recorded as failed.
"""

from __future__ import annotations

import concurrent.futures.process as cfp
import contextlib
import datetime as dt
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulacra.atomic import write_text
from simulacra.study.backends import Backend, LocalBackend, job_dir, make_backend
from simulacra.study.estimate import job_weights, peer_seconds
from simulacra.study.grid import describe, expand
from simulacra.study.job_files import lost, write_result
from simulacra.study.jobs import Job
from simulacra.study.progress import Progress
from simulacra.study.schema import Study
from simulacra.study.select import select
from simulacra.study.store import Store, StoreError
from simulacra.versions import versions

MAX_ATTEMPTS = 2
STORE_NAME = "results.duckdb"
MARKER = "study.json"


@dataclass
class RunSummary:
    total: int
    skipped: int
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (job, first error line)
    lost: list[tuple[str, str]] = field(default_factory=list)  # (finished job run again, why)
    redone: int = 0  # finished jobs run again because `redo` selected them


def claim_folder(out: Path, study: Study) -> None:
    """Make `out` this study's folder, refusing one that holds another study or other files."""
    if out.exists() and not out.is_dir():
        raise StoreError(f"{out} is a file, not a folder; choose another --out")
    marker = out / MARKER
    if marker.is_file():
        try:
            name = json.loads(marker.read_text()).get("name")
        except (json.JSONDecodeError, AttributeError):
            raise StoreError(f"{marker} is corrupt; choose another --out") from None
        if name != study.name:
            raise StoreError(
                f"{out} holds the results of study {name!r}, not {study.name!r}; choose "
                f"another --out (or delete the folder to start over)"
            )
        return
    if out.exists() and any(out.iterdir()):
        raise StoreError(
            f"{out} is not empty and is not a study folder (no {MARKER}); choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{MARKER}.tmp"
    tmp.write_text(json.dumps({"name": study.name, "study_file": study.path,
                               "created": dt.datetime.now(dt.UTC).isoformat()}))
    tmp.replace(marker)


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """One run per study folder: an exclusive lock on out/.run.lock (released by the OS even on
    kill -9); a second run gets a clear error naming the process that holds it."""
    path = out / ".run.lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            pid = f.read().strip() or "?"
            raise StoreError(
                f"{out} is in use by another run (process {pid}); wait for it to finish or stop "
                f"it, or choose another --out"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def world_references(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Exact figures the report normalises by: optimum and random return, best performance, all
    over what the agent sees (`simulacra.exact.references`; cached per world and source)."""
    from simulacra.worlds.figure_cache import cached_figures

    row: dict[str, Any] = {"name": name, "params": params, "compiled": False}
    ref = cached_figures(name, **params)
    if ref is None:
        return row
    row.update(
        compiled=True, n_states=ref.n_states,
        return_optimal=ref.optimal_return, performance_optimal=ref.optimal_performance,
        performance_of_reward_optimal=ref.performance_of_reward_optimal,
        return_random=ref.random_return, performance_random=ref.random_performance,
    )
    return row


def _first_line(text: str) -> str:
    return next((ln for ln in text.splitlines() if ln.strip()), text)[:200]


def _running_progress(out: Path, running: dict[Any, Job],
                      weights: dict[str, float]) -> tuple[float, str]:
    """The running jobs' work done (fraction done from their progress.json, times their
    weight), and who they are."""
    notes, partial = [], 0.0
    for job in running.values():
        p = job_dir(out, job.key) / "progress.json"
        try:
            d = json.loads(p.read_text())
            frac = min(max(float(d["done"]) / max(float(d["total"]), 1e-9), 0.0), 1.0)
            partial += frac * weights[job.key]
            pct = f" {100 * frac:.0f}%"
        except (OSError, ValueError, KeyError, TypeError):
            pct = ""
        notes.append(f"{describe(job)}{pct}")
    return partial, "; ".join(notes)


def run_study(
    study: Study,
    out: str | Path,
    backend: str | Backend = "local",
    workers: int | None = None,
    address: str | None = None,
    show_progress: bool = True,
    only: dict[str, set[str]] | None = None,
    redo: dict[str, set[str]] | None = None,
) -> RunSummary:
    """Run every unfinished job of `study` (those `only` selects: see simulacra.study.select)
    into the store under `out`, and those of them `redo` selects even if finished."""
    t0 = time.perf_counter()
    out = Path(out)
    jobs = expand(study, out)  # return targets from the folder's datasets, if it has them
    chosen = select(jobs, only) if only else jobs  # a bad filter fails before the folder is made
    again = {j.key for j in select(chosen, redo, "--redo")} if redo else set()
    claim_folder(out, study)
    with run_lock(out):
        return _run_locked(study, out, backend, workers, address, show_progress, t0, jobs,
                           chosen, again)


def record_study(store: Store, study: Study, jobs: list[Job]) -> None:
    """Write the study, its worlds' exact figures and its whole job grid `jobs` (so the store
    knows what a partial run left out) into the store."""
    store.set_study({"name": study.name, "file": study.path, "config": study.raw,
                     "versions": versions(),
                     "last_run": dt.datetime.now(dt.UTC).isoformat()})
    # Rewritten on every run (cached, so cheap): a folder made before a world's reference
    # figures changed (SafeInterruptibility's achievable optimum) must not keep the old ones.
    for w in study["worlds"]:
        store.put_world({"world": w["label"], **world_references(w["name"], w["params"])})
    store.sync_jobs([j.config() for j in jobs])


def lost_jobs(out: Path, jobs: list[Job], finished: set[str]) -> dict[str, str]:
    """{key: why} of the finished `jobs` whose folder was lost since (`job_files.lost`)."""
    found = {j.key: lost(job_dir(out, j.key)) for j in jobs if j.key in finished}
    return {k: why for k, why in found.items() if why}


def _run_locked(study: Study, out: Path, backend: str | Backend, workers: int | None,
                address: str | None, show_progress: bool, t0: float,
                jobs: list[Job], chosen: list[Job], again: set[str]
                ) -> RunSummary:
    store = Store(out / STORE_NAME)
    try:
        other = store.study_name()
        if other is not None and other != study.name:
            raise StoreError(f"{out / STORE_NAME} holds study {other!r}, not {study.name!r}")
        write_text(out / "study.yaml", yaml.safe_dump(study.raw, sort_keys=False))
        record_study(store, study, jobs)
        finished = store.finished_keys()
        store.release()
        gone = lost_jobs(out, chosen, finished - again)
        rerun = again | set(gone)
        todo = [j for j in chosen if j.key not in finished or j.key in rerun]
        summary = RunSummary(total=len(chosen), skipped=len(chosen) - len(todo),
                             lost=[(describe(j), gone[j.key]) for j in chosen
                                   if j.key in gone],
                             redone=len(again & finished))
        for job, why in summary.lost[:5]:  # said before the run: it may be long
            print(f"job {job} finished before, but {why}: running it again", file=sys.stderr)
        if len(summary.lost) > 5:
            print(f"... and {len(summary.lost) - 5} more finished jobs whose folders were "
                  "lost: running them again", file=sys.stderr)
        if todo:
            be = make_backend(backend, workers, address) if isinstance(backend, str) else backend
            try:
                _drive(be, todo, out, store, summary, show_progress)
            except BaseException:  # Ctrl-C above all: running jobs are redone on the next run
                be.kill()
                raise
            be.shutdown()
        summary.seconds = time.perf_counter() - t0
        return summary
    finally:
        store.close()


def _drive(be: Backend, todo: list[Job], out: Path, store: Store,
           summary: RunSummary, show_progress: bool) -> None:
    """Keep the backend busy until every job is done or failed, writing each as it ends."""
    queue = list(reversed(todo))  # pop() from the end keeps the grid's order
    attempts: dict[str, int] = {}
    running: dict[Any, Job] = {}
    shared = str(out / "shared")
    expected = peer_seconds(store.finished_times())
    weights = dict(zip((j.key for j in todo), job_weights(
        [expected(j.learner.label, j.learner.name, j.world.label) for j in todo]),
        strict=True))
    bar = Progress(summary.total, summary.skipped, show_progress, work=sum(weights.values()))

    def record(job: Job, outcome: tuple[str, Any, float]) -> None:
        status, payload, seconds = outcome
        if status == "done":
            try:
                # The folder first: a job the store calls done can be rebuilt from its folder.
                ended = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                write_result(job_dir(out, job.key), job.config(), payload, seconds, ended)
                store.commit_result(job.config(), payload, seconds, ended)
                summary.done += 1
            except Exception as err:
                status, payload = "failed", f"could not store the result: {err}"
        if status != "done":
            store.mark_failed(job.key, payload, seconds)
            summary.failed += 1
            summary.failures.append((describe(job), _first_line(payload)))
            log = job_dir(out, job.key) / "job.log"
            bar.write(f"job {describe(job)} failed: {_first_line(payload)} (log: {log})")
        bar.job_ended(describe(job), status, seconds, weights[job.key])

    try:
        while queue or running:
            while queue and len(running) < be.workers:
                job = queue.pop()
                wd = job_dir(out, job.key)
                wd.mkdir(parents=True, exist_ok=True)
                store.mark_running(job.key, str(wd))
                attempts[job.key] = attempts.get(job.key, 0) + 1
                running[be.submit(job, str(wd), shared)] = job
            try:
                finished = be.wait(list(running), timeout=0.5)
            except cfp.BrokenProcessPool:
                # A worker died without a word (crash, OOM killer): retry its jobs, then fail them.
                assert isinstance(be, LocalBackend)
                for job in running.values():
                    if attempts[job.key] >= MAX_ATTEMPTS:
                        record(job, ("failed", "the worker process died while running this "
                                     f"job ({MAX_ATTEMPTS} tries): out of memory or a crash",
                                     float("nan")))
                    else:
                        queue.append(job)
                running.clear()
                store.release()
                be.restart()
                continue
            for handle, outcome in finished:
                record(running.pop(handle), outcome)
            store.release()  # closed between writes: readers may look in
            bar.running(*_running_progress(out, running, weights))
    finally:
        bar.close()

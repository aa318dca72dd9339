"""What a job is and how one runs: the seam between the study machinery and the learners.

A job is a resolved config dict (see `simulacra.study.grid`); `execute_job(config, workdir)` runs it
and returns a `JobResult`: one row per evaluated episode, optional metric rows, a few replays and
the paths of its artifacts. Which code runs is the job function its learner's spec names
(`simulacra.learners.registry`), a "module:function" string of this layer imported lazily:

    def run(ctx: JobContext) -> JobResult

The function reads `ctx.config` (world, learner config, dataset recipe, seed, knob, evaluation,
budgets), may write under `ctx.workdir`, reports progress through `ctx.progress`, and returns
episodes built with `episodes_from_arrays`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("simulacra.study")


def _import(target: str) -> Any:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


# ---- results ------------------------------------------------------------------------------

EPISODE_FIELDS = ("episode", "knob", "return", "performance", "length")


@dataclass
class Replay:
    """One episode's boards for the report's animation."""

    episode: int
    knob: float | None
    frames: list[list[str]]  # boards as rows of characters, first to last
    actions: list[int]
    rewards: list[float]


@dataclass
class JobResult:
    """What a job produced. `episodes` holds one dict per evaluated episode with the keys
    EPISODE_FIELDS plus `events` ({event name: count}); `metrics` rows are
    {"metric", "value", "knob"}; `artifacts` maps a name to a path under the job's workdir."""

    episodes: list[dict[str, Any]]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    replays: list[Replay] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)


def episodes_from_arrays(
    returns: np.ndarray,  # [N]
    performance: np.ndarray,  # [N]
    lengths: np.ndarray,  # [N]
    events: np.ndarray,  # [N, E] counts
    event_names: Sequence[str],
    knob: float | None = None,
    first: int = 0,
    extra: dict[str, np.ndarray] | None = None,  # per-episode numbers stored in `detail`
) -> list[dict[str, Any]]:
    """Episode rows for a JobResult from per-episode arrays (episode ids count from `first`)."""
    rows = []
    for i in range(len(returns)):
        detail = {k: float(v[i]) for k, v in (extra or {}).items()}
        rows.append({
            "episode": first + i,
            "knob": None if knob is None else float(knob),
            "return": float(returns[i]),
            "performance": float(performance[i]),
            "length": int(lengths[i]),
            "events": {n: int(events[i, j]) for j, n in enumerate(event_names)},
            "detail": detail,
        })
    return rows


@dataclass
class JobContext:
    """Everything a job function gets: its config, its folder, a logger and a progress hook."""

    config: dict[str, Any]
    workdir: Path  # this job's own folder (checkpoints, its log)
    log: logging.Logger
    #: A folder shared by the study's jobs, for artifacts several jobs reuse (datasets): write
    #: there with `shared_artifact`, never in place.
    shared: Path | None = None

    def progress(self, done: float, total: float) -> None:
        """Report progress of a long job; the study's progress display shows it."""
        tmp = self.workdir / "progress.tmp"
        tmp.write_text(json.dumps({"done": done, "total": total, "time": time.time()}))
        tmp.replace(self.workdir / "progress.json")


class JobTimeout(Exception):
    pass


def shared_artifact(folder: Path, name: str, build: Callable[[Path], None]) -> Path:
    """`folder/name`, built once by `build(tmp_path)` and renamed into place atomically, so
    jobs running at once may both build it but none ever reads half of one."""
    final = folder / name
    if final.exists():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{os.getpid()}.{time.time_ns()}.tmp"
    build(tmp)
    try:
        tmp.replace(final)
    except OSError:  # another job won the race with a directory: theirs is as good
        if not final.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def execute_job(
    config: dict[str, Any], workdir: str | Path, shared: str | Path | None = None
) -> JobResult:
    """Run one job here; its log goes to `workdir/job.log`. Raises what the job raises."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"simulacra.job.{config.get('key', 'job')}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(workdir / "job.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        logger.info("job %s: %s", config.get("key"), json.dumps(config, sort_keys=True))
        for module in (config.get("runner") or {}).get("imports", []):
            importlib.import_module(module)  # the study's `imports`: they register user worlds
        fn = _import(config["job_fn"])
        t0 = time.perf_counter()
        ctx = JobContext(config, workdir, logger, Path(shared) if shared else None)
        result = fn(ctx)
        if not isinstance(result, JobResult):
            raise TypeError(f"{config['job_fn']} returned {type(result).__name__}, not JobResult")
        logger.info("done in %.2f s: %d episodes, %d metric rows",
                    time.perf_counter() - t0, len(result.episodes), len(result.metrics))
        return result
    except BaseException:
        logger.exception("job failed")
        raise
    finally:
        logger.removeHandler(handler)
        handler.close()

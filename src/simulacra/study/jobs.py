"""What a job is and how one runs: the seam between the study machinery and the learners.

A job is a `Job`: a frozen dataclass of typed fields, made by the grid (`simulacra.study.grid`) and
keyed by the hash of its resolved config (`Job.config()`, the layout the store keeps as JSON).
`execute_job(job, workdir)` runs it and returns a `JobResult`: one row per evaluated episode,
optional metric rows, a few replays and the paths of its artifacts. Which code runs is the job
function its learner's spec names (`simulacra.learners.registry`), a "module:function" string of
this layer imported lazily:

    def run(ctx: JobContext) -> JobResult

The function reads `ctx.job` (world, learner settings, dataset recipe, seed, knob, evaluation,
budget), may write under `ctx.workdir`, reports progress through `ctx.progress`, and returns
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.evaluate.decode import DECODES

log = logging.getLogger("simulacra.study")


def _import(target: str) -> Any:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


# ---- the job ------------------------------------------------------------------------------

JOB_FORMAT = 1  # bump when the meaning of a job's config changes (invalidates every key)


@dataclass(frozen=True)
class WorldRef:
    name: str  # registered world name
    label: str  # name plus the parameters that differ from the defaults, e.g. X[level=2]
    params: dict[str, Any]  # every parameter, resolved


@dataclass(frozen=True)
class LearnerRef:
    name: str  # registered learner name
    label: str  # the study's display name, unique in the study
    family: str  # dt | rl | offline | reference
    config: dict[str, Any]  # the learner's settings, defaults filled in


@dataclass(frozen=True)
class DatasetRef:
    name: str  # the recipe's name under the study's `datasets`
    recipe: dict[str, Any]


@dataclass(frozen=True)
class Knob:
    """The learner's knob: swept inside the job (`values`) or one value per job (`value`).
    Numbers are kept as the study wrote them (1 and 1.0 hash differently)."""

    name: str
    values: tuple[Any, ...] | None = None
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        if self.values is not None:
            return {"name": self.name, "values": list(self.values)}
        return {"name": self.name, "value": self.value}


@dataclass(frozen=True)
class Evaluation:
    episodes: int  # per knob value
    replays: int  # episodes kept for the report's animations
    metrics: bool = True  # compute STUDY.md's metrics
    #: Each policy is evaluated under each of these (simulacra.evaluate.decode); part of the key.
    decode: tuple[str, ...] = DECODES

    def __post_init__(self) -> None:
        object.__setattr__(self, "decode", tuple(self.decode))  # a study's or JSON's list


@dataclass(frozen=True)
class Limits:
    """How a job is run, never part of its key."""

    max_job_seconds: float | None = None
    max_memory_gb: float | None = None
    imports: tuple[str, ...] = ()  # modules the worker imports first (the study's `imports`)


@dataclass(frozen=True)
class Job:
    world: WorldRef
    learner: LearnerRef
    dataset: DatasetRef | None
    seed: int
    knob: Knob | None
    evaluation: Evaluation
    env_steps: int  # budgets.env_steps: what an online learner may spend
    job_fn: str  # "module:function", from the learner's spec
    limits: Limits = Limits()
    format: int = JOB_FORMAT
    key: str = ""  # the hash of config() less how it runs (simulacra.study.grid.job_key)

    def config(self) -> dict[str, Any]:
        """The job as the plain mapping its key hashes and the store keeps (JSON)."""
        out: dict[str, Any] = {
            "format": self.format,
            "world": {"name": self.world.name, "label": self.world.label,
                      "params": dict(self.world.params)},
            "learner": {"name": self.learner.name, "label": self.learner.label,
                        "family": self.learner.family, "config": dict(self.learner.config)},
            "dataset": None if self.dataset is None else {"name": self.dataset.name,
                                                          "recipe": self.dataset.recipe},
            "seed": self.seed,
            "knob": None if self.knob is None else self.knob.as_dict(),
            "evaluation": {"episodes": self.evaluation.episodes,
                           "replays": self.evaluation.replays,
                           "metrics": self.evaluation.metrics,
                           "decode": list(self.evaluation.decode)},
            "budgets": {"env_steps": self.env_steps},
            "job_fn": self.job_fn,
            "runner": {"max_job_seconds": self.limits.max_job_seconds,
                       "max_memory_gb": self.limits.max_memory_gb,
                       "imports": list(self.limits.imports)},
        }
        if self.key:
            out["key"] = self.key
        return out

    @classmethod
    def from_config(cls, c: dict[str, Any]) -> Job:
        """A job back from `config()`'s mapping (a store's or a job folder's JSON)."""
        knob, ds, runner = c.get("knob"), c.get("dataset"), c.get("runner") or {}
        return cls(
            world=WorldRef(**c["world"]),
            learner=LearnerRef(**c["learner"]),
            dataset=None if not ds else DatasetRef(ds["name"], ds["recipe"]),
            seed=c["seed"],
            knob=None if not knob else Knob(knob["name"],
                                            tuple(knob["values"]) if "values" in knob else None,
                                            knob.get("value")),
            evaluation=Evaluation(**c["evaluation"]),
            env_steps=c["budgets"]["env_steps"],
            job_fn=c["job_fn"],
            limits=Limits(runner.get("max_job_seconds"), runner.get("max_memory_gb"),
                          tuple(runner.get("imports") or ())),
            format=c.get("format", JOB_FORMAT),
            key=c.get("key", ""),
        )


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
    decode: str | None = None  # see JobResult


@dataclass
class JobResult:
    """What a job produced. `episodes` holds one dict per evaluated episode with the keys
    EPISODE_FIELDS plus `events` ({event name: count}); `metrics` rows are
    {"metric", "value", "knob"}; `artifacts` maps a name to a path under the job's workdir.
    Every row may carry `decode`, the decode it was evaluated under
    (`simulacra.study.rollout.evaluate_policy`); a row without one holds something nothing was
    decoded for (a data replay, a training figure) and stands for every decode (`for_decodes`)."""

    episodes: list[dict[str, Any]]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    replays: list[Replay] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)


def for_decodes(result: JobResult, decodes: Sequence[str]) -> JobResult:
    """`result` with each row that carries no `decode` repeated once per decode in `decodes`
    (rows that carry one kept as they are): what the store holds, so that every decode's rows
    are whole. The one place rows are copied across decodes."""
    def rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        tagged = [r for r in items if r.get("decode")]
        return tagged + [{**r, "decode": d} for d in decodes for r in items if not r.get("decode")]

    replays = [r for r in result.replays if r.decode] + [
        replace(r, decode=d) for d in decodes for r in result.replays if not r.decode]
    return JobResult(episodes=rows(result.episodes), metrics=rows(result.metrics),
                     replays=replays, artifacts=dict(result.artifacts))


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
    """Everything a job function gets: its job, its folder, a logger and a progress hook."""

    job: Job
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


def execute_job(job: Job, workdir: str | Path, shared: str | Path | None = None) -> JobResult:
    """Run one job here; its log goes to `workdir/job.log`. Raises what the job raises."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"simulacra.job.{job.key or 'job'}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(workdir / "job.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        logger.info("job %s: %s", job.key, json.dumps(job.config(), sort_keys=True))
        for module in job.limits.imports:
            importlib.import_module(module)  # the study's `imports`: they register user worlds
        fn = _import(job.job_fn)
        t0 = time.perf_counter()
        ctx = JobContext(job, workdir, logger, Path(shared) if shared else None)
        result = fn(ctx)
        if not isinstance(result, JobResult):
            raise TypeError(f"{job.job_fn} returned {type(result).__name__}, not JobResult")
        logger.info("done in %.2f s: %d episodes, %d metric rows",
                    time.perf_counter() - t0, len(result.episodes), len(result.metrics))
        return result
    except BaseException:
        logger.exception("job failed")
        raise
    finally:
        logger.removeHandler(handler)
        handler.close()

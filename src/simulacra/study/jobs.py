"""What a job is and how one runs: the seam between the study machinery and the learners.

A job is a resolved config dict (see `simulacra.study.grid`); `execute_job(config, workdir)` runs it
and returns a `JobResult`: one row per evaluated episode, optional metric rows, a few replays and
the paths of its artifacts. Which code runs is chosen by the learner's entry in `LEARNERS`, a
"module:function" string imported lazily (so listing learners imports no torch). Wiring a new
learner into the study is adding one entry here and writing its function

    def run(ctx: JobContext) -> JobResult

in the learner's own module. The function reads `ctx.config` (world, learner config, dataset
recipe, seed, knob, evaluation, budgets), may write under `ctx.workdir`, reports progress through
`ctx.progress`, and returns episodes built with `episodes_from_arrays`.
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


@dataclass(frozen=True)
class LearnerSpec:
    """How the study runs one learner.

    `knob` names the learner's capability knob (DT: target return; RL: training checkpoint;
    %BC: q). When `knob_in_job` the whole sweep is evaluated inside one job (one training, many
    evaluations); otherwise the grid makes one job per knob value (one training per value).
    `family` places the learner on a side of the question: "dt", "rl", "offline" or "reference".
    """

    fn: str  # "module:function" taking a JobContext, returning a JobResult
    family: str
    #: The learner's settings and their defaults: a dict, or "module:function" returning one
    #: (so that listing learners imports no torch).
    defaults: dict[str, Any] | str = field(default_factory=dict)
    knob: str | None = None
    knob_values: tuple[float, ...] = ()
    knob_in_job: bool = True
    needs_dataset: bool = False
    check: str | None = None  # "module:function" raising ValueError on an impossible config
    doc: str = ""

    def resolve_defaults(self) -> dict[str, Any]:
        return dict(_import(self.defaults)()) if isinstance(self.defaults, str) else self.defaults

    def resolve(self) -> Callable[[JobContext], JobResult]:
        return _import(self.fn)

    def resolve_check(self) -> Callable[[dict[str, Any]], None]:
        assert self.check is not None
        return _import(self.check)


def _import(target: str) -> Any:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


REFS = "simulacra.study.references"
TRAINED = "simulacra.study.learner_jobs"
LOOPS = "simulacra.study.loop_jobs"

#: The learners a study may name. The lead wires in DT, online DT, PPO/DQN/A2C, BC, %BC, CQL by
#: adding entries (their job functions live beside the learners).
LEARNERS: dict[str, LearnerSpec] = {
    "reward_optimal": LearnerSpec(
        f"{REFS}:run_reward_optimal", "reference",
        doc="exact reward-optimal policy (the perfect agent), max-entropy over ties"),
    "performance_optimal": LearnerSpec(
        f"{REFS}:run_performance_optimal", "reference",
        doc="exact performance-optimal policy (the perfectly safe agent)"),
    "random": LearnerSpec(f"{REFS}:run_random", "reference", doc="uniformly random actions"),
    "quantilizer": LearnerSpec(
        f"{REFS}:run_quantilizer", "reference", knob="q", knob_values=(0.5, 0.2, 0.1, 0.05),
        needs_dataset=True, doc="exact q-quantilizer of the job's dataset (Taylor 2016)"),
    "best_of_n": LearnerSpec(
        f"{REFS}:run_best_of_n", "reference", knob="n", knob_values=(1, 4, 16),
        needs_dataset=True, doc="best of n episodes drawn from the job's dataset"),
    "dt": LearnerSpec(
        f"{TRAINED}:run_dt", "dt", f"{TRAINED}:dt_defaults", knob="target_fraction",
        knob_values=(0.0, 0.25, 0.5, 0.75, 1.25, 1.0), needs_dataset=True,
        check=f"{TRAINED}:check_dt",
        doc="Decision Transformer on the job's dataset; knob: target return as a fraction of "
            "the data's return range (above 1: beyond the data)"),
    "data": LearnerSpec(
        f"{REFS}:run_data", "reference", knob="target_fraction",
        knob_values=(0.0, 0.25, 0.5, 0.75, 1.0), needs_dataset=True,
        doc="the job's dataset itself: its episodes with return >= the knob's target (as DT's "
            "knob), i.e. the behaviour a perfect return-conditioned model would reproduce"),
    **{f"{mode}_dt": LearnerSpec(
        f"{LOOPS}:run_{mode}_dt", "dt", f"{LOOPS}:loop_defaults", knob="checkpoint",
        knob_values=(0.0, 0.25, 0.5, 0.75, 1.0), check=f"{LOOPS}:check_loop",
        doc=f"{mode} DT from random behaviour for budgets.env_steps (the trial-and-error "
            "loop); knob: the model after that fraction of the steps, asked for the best "
            "return seen")
       for mode in ("online", "iterated")},
    "bc": LearnerSpec(
        f"{TRAINED}:run_bc", "offline", f"{TRAINED}:bc_defaults", needs_dataset=True,
        check=f"{TRAINED}:check_bc", doc="behaviour cloning on the job's dataset"),
    "pbc": LearnerSpec(
        f"{TRAINED}:run_bc", "offline", f"{TRAINED}:bc_defaults", knob="q",
        knob_values=(0.5, 0.25, 0.1), knob_in_job=False, needs_dataset=True,
        check=f"{TRAINED}:check_bc", doc="%BC: BC on the best q share of episodes"),
    **{algo: LearnerSpec(
        f"{TRAINED}:run_rl", "rl", {"hp": {}, "deterministic": True}, knob="checkpoint",
        knob_values=(0.25, 0.5, 0.75, 1.0),
        doc=f"{algo.upper()} (Stable-Baselines3) for budgets.env_steps; knob: the checkpoint "
            "after that fraction of the steps; hp overrides configs/rl/*.yaml")
       for algo in ("ppo", "dqn", "a2c")},
}


def register_learner(name: str, spec: LearnerSpec) -> None:
    """Add (or replace) a learner; a study may then name it."""
    if spec.family not in ("dt", "rl", "offline", "reference"):
        raise ValueError(f"family {spec.family!r}: expected dt, rl, offline or reference")
    LEARNERS[name] = spec


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

"""Return-unit targets: the returns a return-conditioned learner is asked for, resolved before
the run (STUDY.md, version 2; issue #14).

A learner whose knob is `target` and that has a dataset (the offline DT, the `data` reference,
the target-matched `simulator`) is asked for returns. Its study entry says which, one of:

- `knob_values: [returns]`: these returns, on every world;
- `targets: grid` (the default): `target_points` (default 15) returns evenly spaced from the
  data's median return to `TOP_MARGIN` of the data's spread above its maximum, max + 0.1 (max -
  median) (asking above the maximum is how the study sees what a DT does beyond its data), plus
  the world's exact reward-optimal return G* and the return of the exact performance-optimal
  policy (the two behaviours the questions are about, so they are always asked for), sorted and
  without duplicates; a world without exact tables gets the data grid only;
- `target_fractions: [f]`: hi + (f - 1)(hi - lo) over the data's returns (`knob_target`: 0 is the
  data's worst episode, 1 its best, above 1 beyond it);
- `targets: paired`: the resolved targets of the learner it `pairs_with` (the yardstick
  simulator of a DT asks for exactly the DT's targets).

Grids and fractions are resolved per world from the dataset of the study's FIRST seed for that
(world, recipe), so every seed is asked for the same returns and knobs align across seeds. The
dataset is the one the jobs train on (`study.datasets.job_dataset`): read from the study folder's
shared/datasets/ when it is there (a folder's data are what its jobs use), else made in a
temporary folder (a fraction of a second per recipe and world). The result is written into the
study's resolved document, `learners[i].resolved_targets = {world label: [returns]}`, which the
runner saves (study.yaml, the store's study config), and the jobs' knob values are these returns.

A trial-and-error loop (family dt, knob `checkpoint`) with a dataset may say `targets: grid`
(with `target_points`) or `targets: paired` + `pairs_with: <DT label>`: the returns every
checkpoint is also asked for (study/loop_jobs.py's sweep rows). They are resolved the same way,
from the first seed's dataset or as the DT's resolved targets, into
`learners[i].resolved_loop_targets = {world label: [returns]}` (not `resolved_targets`: the loop's
knob stays the checkpoint), and the grid puts them in each job's `config.targets`.

Probes name a knob of such a learner as a return or `{fraction: f}`, or leave it out (the
learner's largest target); `resolve` turns it into a return per world
(`knob_by_world = {world label: return}` beside the probe's `knob`) and adds it to the learner's
targets on that world, so a probe never reads a knob that was not run.
"""

from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("simulacra.study.targets")

#: The grid's top: the data's maximum plus this share of (maximum - median).
TOP_MARGIN = 0.1
#: Default number of evenly spaced grid points (before the exact returns are added).
DEFAULT_POINTS = 15
#: Grid points are rounded to this many decimals (readable knobs); exact returns to EXACT_DECIMALS.
GRID_DECIMALS = 3
EXACT_DECIMALS = 6
#: The knob of return-unit learners.
TARGET_KNOB = "target"


def knob_target(returns: np.ndarray, fraction: float) -> float:
    """The return a fraction of the data's range asks for: hi + (f - 1) * span over the data's
    returns, span = hi - lo (so f = 0 is the data's worst return and f = 1 its best). Data whose
    returns are all equal (Survival without the button: always 0) have no range; their span is
    max(|hi|, 1), so f > 1 still asks for more than the data holds."""
    lo, hi = float(np.min(returns)), float(np.max(returns))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return hi + (float(fraction) - 1.0) * span


def target_grid(returns: np.ndarray, points: int = DEFAULT_POINTS,
                exact: tuple[float, ...] = ()) -> list[float]:
    """`points` returns from the data's median to max + TOP_MARGIN (max - median), plus `exact`,
    sorted and deduplicated (module docstring). Data whose median is their maximum get the
    spread max(|max|, 1), as `knob_target` does."""
    med, hi = float(np.median(returns)), float(np.max(returns))
    spread = hi - med if hi > med else max(abs(hi), 1.0)
    grid = [round(float(g), GRID_DECIMALS)
            for g in np.linspace(med, hi + TOP_MARGIN * spread, points)]
    return merged(grid, [round(float(e), EXACT_DECIMALS) for e in exact if math.isfinite(e)])


def merged(values: list[float], more: list[float]) -> list[float]:
    """`values` and `more`, sorted, without values equal to a kept one within 1e-9."""
    out: list[float] = []
    for v in sorted([*values, *more]):
        if not out or not math.isclose(v, out[-1], rel_tol=1e-9, abs_tol=1e-9):
            out.append(v)
    return out


def exact_returns(world: dict[str, Any]) -> tuple[float, ...]:
    """(G*, return of the performance-optimal policy) of a compiled world; () otherwise."""
    from simulacra.worlds.figure_cache import cached_figures

    ref = cached_figures(world["name"], **world["params"])
    if ref is None:
        return ()
    return (ref.optimal_return, ref.performance_optimal_return)


def is_return_target(spec: dict[str, Any]) -> bool:
    """Whether a learner entry's knob is a target return (its knob `target` and a dataset)."""
    from simulacra.learners.registry import get

    return spec.get("dataset") is not None and get(spec["learner"]).knob == TARGET_KNOB


#: The knob of the trial-and-error loops (the share of the step budget spent).
LOOP_KNOB = "checkpoint"


def is_loop(reg: Any) -> bool:
    """Whether a registered learner is a trial-and-error loop (family dt, knob checkpoint)."""
    return reg.family == "dt" and reg.knob == LOOP_KNOB


def sweeps_targets(spec: dict[str, Any]) -> bool:
    """Whether a learner entry is a loop whose checkpoints are asked for resolved returns
    (`targets: grid | paired`; module docstring)."""
    from simulacra.learners.registry import get

    return spec.get("targets") in ("grid", "paired") and is_loop(get(spec["learner"]))


def data_returns(world: dict[str, Any], dataset: str, recipe: dict[str, Any], seed: int,
                 folder: Path | None) -> np.ndarray:
    """The episode returns of the dataset a job on (world, recipe, seed) trains on (module
    docstring: the study folder's copy when there is one, else made in a temporary folder)."""
    from simulacra.study.datasets import dataset_file, job_dataset
    from simulacra.study.jobs import (
        DatasetRef,
        Evaluation,
        Job,
        JobContext,
        LearnerRef,
        WorldRef,
    )

    # A stand-in job: the dataset depends on its world, recipe and seed only.
    job = Job(world=WorldRef(world["name"], world["label"], dict(world["params"])),
              learner=LearnerRef("data", "targets", "reference", {}),
              dataset=DatasetRef(dataset, recipe), seed=seed, knob=None,
              evaluation=Evaluation(1, 0), env_steps=0, job_fn="")
    shared = None if folder is None else Path(folder) / "shared"
    if shared is not None and (shared / "datasets" / dataset_file(job.config())).is_file():
        return job_dataset(JobContext(job, shared, log, shared)).returns()
    with tempfile.TemporaryDirectory(prefix="simulacra-targets-") as tmp:
        return job_dataset(JobContext(job, Path(tmp), log)).returns()


def _own_targets(spec: dict[str, Any], world: dict[str, Any], returns: np.ndarray
                 ) -> list[float]:
    if spec.get("knob_values") is not None:
        return merged([float(v) for v in spec["knob_values"]], [])
    if spec.get("target_fractions") is not None:
        return merged([round(knob_target(returns, f), EXACT_DECIMALS)
                       for f in spec["target_fractions"]], [])
    return target_grid(returns, int(spec.get("target_points") or DEFAULT_POINTS),
                       exact_returns(world))


def probe_knob(knob: Any, returns: np.ndarray, targets: list[float]) -> float:
    """A probe's knob of a return-target learner on one world: a return as given, a
    `{fraction: f}` by `knob_target`, None the learner's largest target."""
    if knob is None:
        return max(targets)
    if isinstance(knob, dict):
        return round(knob_target(returns, float(knob["fraction"])), EXACT_DECIMALS)
    return float(knob)


def _runs_on(spec: dict[str, Any], world: dict[str, Any]) -> bool:
    return spec.get("worlds") is None or world["name"] in spec["worlds"]


def resolved(study_raw: dict[str, Any]) -> bool:
    """Whether `resolve` has filled this document already (a saved study.yaml has)."""
    return (all("resolved_targets" in s for s in study_raw["learners"] if is_return_target(s))
            and all("resolved_loop_targets" in s for s in study_raw["learners"]
                    if sweeps_targets(s)))


class TargetsError(ValueError):
    """A learner's targets cannot be resolved (its dataset cannot be made for a world)."""


def resolve(study_raw: dict[str, Any], folder: str | Path | None = None) -> None:
    """Fill `resolved_targets` of every return-target learner and `knob_by_world` of the probe
    sides naming one, in the study's resolved document (in place; once: see `resolved`)."""
    if resolved(study_raw):
        return
    folder = None if folder is None else Path(folder)
    seed = study_raw["seeds"][0]
    specs = {s["label"]: s for s in study_raw["learners"]}
    cache: dict[tuple[str, str], np.ndarray] = {}

    def returns(spec: dict[str, Any], world: dict[str, Any]) -> np.ndarray:
        key = (world["label"], spec["dataset"])
        if key not in cache:
            try:
                cache[key] = data_returns(world, spec["dataset"],
                                          study_raw["datasets"][spec["dataset"]], seed, folder)
            except ValueError as err:  # a recipe this world cannot make (RecipeError, ...)
                raise TargetsError(f"learner {spec['label']!r} on {world['label']}: its targets "
                                   f"need dataset {spec['dataset']!r} of seed {seed}, which "
                                   f"cannot be made: {err}") from err
        return cache[key]

    mine = [s for s in study_raw["learners"] if is_return_target(s)]
    own: dict[str, dict[str, list[float]]] = {}  # before the probes add theirs
    for spec in mine:
        if spec.get("targets") != "paired":
            own[spec["label"]] = {w["label"]: _own_targets(spec, w, returns(spec, w))
                                  for w in study_raw["worlds"] if _runs_on(spec, w)}
            spec["resolved_targets"] = {w: list(v) for w, v in own[spec["label"]].items()}
    for p in study_raw.get("probes") or []:
        sides = [p] + ([p["baseline"]] if p["baseline"].get("learner") else [])
        for side in sides:
            spec = specs[side.get("learner") or p["learner"]]
            if spec not in mine:
                continue
            base = specs[spec["pairs_with"]] if spec.get("targets") == "paired" else spec
            on = {}
            for w in study_raw["worlds"]:
                if not _runs_on(spec, w) or p.get("world") not in (None, w["label"], w["name"]):
                    continue
                value = probe_knob(side.get("knob"), returns(spec, w),
                                   own[base["label"]][w["label"]])
                on[w["label"]] = value
                have = base["resolved_targets"]
                have[w["label"]] = merged(have[w["label"]], [value])
            side["knob_by_world"] = on
    for spec in mine:
        if spec.get("targets") == "paired":  # after the probes: the very targets of its pair
            pair = specs[spec["pairs_with"]]["resolved_targets"]
            spec["resolved_targets"] = {w: list(v) for w, v in pair.items()}
    for spec in [s for s in study_raw["learners"] if sweeps_targets(s)]:
        on = [w for w in study_raw["worlds"] if _runs_on(spec, w)]
        if spec["targets"] == "paired":  # the DT's targets (probes' included) where it runs
            pair = specs[spec["pairs_with"]]["resolved_targets"]
            spec["resolved_loop_targets"] = {w["label"]: list(pair[w["label"]]) for w in on}
        else:
            spec["resolved_loop_targets"] = {
                w["label"]: target_grid(returns(spec, w), int(spec["target_points"]),
                                        exact_returns(w)) for w in on}


def targets_for(spec: dict[str, Any], world_label: str) -> list[float]:
    """The resolved targets of a return-target learner on one world (after `resolve`)."""
    return list(spec["resolved_targets"][world_label])

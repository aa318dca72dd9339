"""Whether an out-of-distribution probe can fail on a world: read from the data it is about.

An OOD-type probe asks whether a learner does what its data never did: the unseen-state or
unseen-(state, action) rate (`ood_state_rate`, `ood_pair_rate`), or an event the data never show
(`event_<name>` where the dataset has no episode with it, e.g. the button the never-pressed data
never press). Such a probe cannot fail when the data are *closed*:

    S = the states the data take an action in (compiled states, else observation hashes, as the
        OOD metrics key them: `metrics.behaviour.steps_of`);
    closed  <=>  every state of S has every one of the world's actions taken in it by the data,
                 and every episode the step limit cut off ends in a state of S.

From a state of S every action is then one the data took there, and its successor (the outcome
the data sampled) ends the episode or is again in S. A policy that starts where the data start
therefore only ever takes (state, action) pairs the data took, meets only the events they met,
and its unseen-pair rate equals its unseen-state rate: it can leave the data only through an
outcome they never sampled (a start state or stochastic transition they never drew), which the
probe does not test. Worlds small enough for a third of random behaviour to try everything
(AbsentSupervisor's mixed data, the random Gambling data) are closed.

The data are the dataset the learner's job names (the one it trained on; for an RL learner, the
one its OOD rates compare with), one per (world, seed), found as the job made it:
`<study folder>/shared/datasets/<file>` (`study.datasets.dataset_file`). A learner with no
study dataset (the trial-and-error loops collect their own, which the folder does not keep), a
missing file or results without a folder leave the check undone, and the probe says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulacra.data.dataset import Dataset

#: Metric measures relative to the data's support; event_<name> ones qualify per dataset.
OOD_METRICS = ("ood_state_rate", "ood_pair_rate")

#: Learners whose data are their own rollouts, not a study dataset (study/loop_jobs.py).
LOOPS = ("online_dt", "iterated_dt")

#: (world label, learner label, seed) -> the learner's dataset there, or why there is none.
DataLookup = Callable[[str, str, int], "Dataset | str"]


@dataclass
class Blind:
    """The seeds on which a probe cannot fail, and the notes to show with it."""

    seeds: list[int]  # seeds whose data make the probe unable to fail
    reason: str  # why (the closed data), "" when no seed is blind
    note: str  # what was checked, or why it was not


def is_ood_type(measure: str) -> bool:
    return measure in OOD_METRICS or measure.startswith("event_")


def _states(n: int) -> str:
    return "1 state" if n == 1 else f"{n} states"


def closed(ds: Dataset) -> tuple[bool, str]:
    """Whether `ds` is closed (see the module docstring), with a sentence saying how it is."""
    from simulacra.metrics.behaviour import CountModel, obs_keys, steps_of

    [steps] = steps_of(ds)
    if len(steps.keys) == 0:
        return False, "the data hold no steps"
    counts = CountModel(steps, ds.n_actions).counts  # [states, actions]
    untried = int((counts == 0).sum())
    n_states = len(counts)
    if untried:
        return False, (f"the data leave {untried} (state, action) pairs of the "
                       f"{_states(n_states)} they visit untried")
    compiled = (np.asarray(ds.states) >= 0).all()
    finals = np.asarray(ds.final_states) if compiled else obs_keys(ds.final_obs)
    last = ds.starts[1:] - 1
    cut = np.asarray(ds.truncated)[last] & ~np.asarray(ds.terminated)[last]
    stranded = int((~np.isin(finals[cut], steps.keys)).sum())
    if stranded:
        return False, (f"the data take all {ds.n_actions} actions in each of the "
                       f"{_states(n_states)} they visit, but {stranded} episodes cut off at the "
                       "step limit end in a state they never act in")
    return True, (f"the data take all {ds.n_actions} actions in each of the {_states(n_states)} "
                  "they visit")


def _shows(ds: Dataset, event: str) -> bool:
    if event not in ds.event_names:
        return False
    return bool(np.asarray(ds.events)[:, ds.event_names.index(event)].any())


def blind_seeds(measure: str, world: str, learner: str, seeds: list[int],
                lookup: DataLookup) -> Blind:
    """Which of `seeds` cannot fail (see the module docstring) for an OOD-type `measure`."""
    if not is_ood_type(measure):
        return Blind([], "", "")
    blind, why, open_ = [], "", ""
    unchecked: dict[str, list[int]] = {}  # why -> seeds
    event = measure.removeprefix("event_") if measure.startswith("event_") else None
    for s in seeds:
        ds = lookup(world, learner, s)
        if isinstance(ds, str):
            unchecked.setdefault(ds, []).append(s)
            continue
        if event is not None and _shows(ds, event):
            continue  # the data do it: not a question of leaving them
        shut, how = closed(ds)
        if shut:
            blind.append(s)
            why = how
        else:
            open_ = how
    what = f"{learner}'s data" if event is None else f"{learner}'s data, which never show {event}"
    reason = (f"{why}: a policy started where they start only takes pairs they took"
              + ("" if event is None else " and meets only events they met") + f" ({what}, "
              f"seed{'s' if len(blind) > 1 else ''} {', '.join(map(str, blind))})") if blind else ""
    notes = []
    if open_:
        notes.append(f"can discriminate: {open_}")
    if unchecked:
        notes.append("discriminability not checked: " + "; ".join(
            f"{text} (seed{'s' if len(ss) > 1 else ''} {', '.join(map(str, ss))})"
            for text, ss in unchecked.items()))
    return Blind(blind, reason, "; ".join(notes))


def folder_lookup(folder: str | Path | None, jobs: pd.DataFrame) -> DataLookup:
    """A DataLookup reading each job's dataset back from the study folder (cached by file)."""
    from simulacra.data.storage import DatasetError, load_dataset
    from simulacra.study.datasets import dataset_file

    cache: dict[Path, Dataset | str] = {}

    def lookup(world: str, learner: str, seed: int) -> Dataset | str:
        if folder is None:
            return "no study folder to read datasets from"
        rows = jobs[(jobs["world"] == world) & (jobs["learner"] == learner)
                    & (jobs["seed"] == seed)] if not jobs.empty else jobs
        if rows.empty:
            return f"{learner} has no job on {world}"
        config = rows["config"].iloc[0]
        config = json.loads(config) if isinstance(config, str) else config
        if not config.get("dataset"):
            if config["learner"]["name"] in LOOPS:
                return f"{learner} trains on the data it collects, which the study does not keep"
            return f"{learner} names no study dataset"
        path = Path(folder) / "shared" / "datasets" / dataset_file(config)
        if path not in cache:
            if not path.is_file():
                cache[path] = f"its dataset {path.name} is not in {Path(folder) / 'shared'}"
            else:
                try:
                    cache[path] = load_dataset(path, config["world"]["name"],
                                               config["world"]["params"])
                except DatasetError as err:
                    cache[path] = f"its dataset cannot be read ({err})"
        return cache[path]

    return lookup

"""The job grid: world x learner x seed x knob, each job a resolved config keyed by its hash.

The key hashes exactly what determines a job's result (world and its parameters, learner and its
full config, dataset recipe, seed, knob, evaluation protocol, environment-step budget), never how
it is run (time and memory limits, the function's import path, the study's name). So a rerun finds
finished jobs by key, a changed setting makes a new job, and a reworded study makes none.

The knob values of a learner asked for target returns (DT, data, simulator) are the returns
`simulacra.study.targets.resolve` writes into the study's resolved document on the first
expansion (from the first seed's data); the runner then saves that document, so the targets a
folder ran are on record and a repair expands to the same jobs without the data. A loop's
`targets: grid | paired` (`resolved_loop_targets`) go into its jobs' `config.targets` instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from simulacra.learners.registry import get as learner_spec
from simulacra.study.jobs import (
    DatasetRef,
    Evaluation,
    Job,
    Knob,
    LearnerRef,
    Limits,
    WorldRef,
)
from simulacra.study.schema import Study, StudyConfigError
from simulacra.study.targets import TargetsError, resolve, targets_for

NOT_HASHED = ("key", "job_fn", "runner")


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def job_key(config: dict[str, Any]) -> str:
    """The key of a job's config mapping (`Job.config()`): a hash of what determines its result."""
    hashed = {k: v for k, v in config.items() if k not in NOT_HASHED}
    return hashlib.sha256(canonical(hashed).encode()).hexdigest()[:16]


def expand(study: Study, folder: str | Path | None = None) -> list[Job]:
    """Every job of the study, in a stable order (world, learner, seed, knob). Learners asked for
    target returns get the returns `targets.resolve` writes into the study's resolved document
    first (from the study folder's datasets when `folder` holds them)."""
    try:
        resolve(study.raw, folder)
    except TargetsError as err:
        raise StudyConfigError(f"{study.path}: {err}") from err
    jobs: list[Job] = []
    evaluation = Evaluation(**study["evaluation"])
    limits = Limits(study["budgets"]["max_job_seconds"], study["budgets"]["max_memory_gb"],
                    tuple(study.raw.get("imports") or ()))
    for world in study["worlds"]:
        for spec in study["learners"]:
            if spec["worlds"] is not None and world["name"] not in spec["worlds"]:
                continue
            reg = learner_spec(spec["learner"])
            dataset = None
            if spec["dataset"] is not None:
                dataset = DatasetRef(spec["dataset"], study["datasets"][spec["dataset"]])
            values = (targets_for(spec, world["label"]) if "resolved_targets" in spec
                      else spec["knob_values"])
            config = dict(spec["config"])
            if "resolved_loop_targets" in spec:  # a loop's targets: grid | paired, resolved
                config["targets"] = list(spec["resolved_loop_targets"][world["label"]])
            if reg.knob is None:
                knobs: list[Knob | None] = [None]
            elif reg.knob_in_job:
                knobs = [Knob(reg.knob, values=tuple(values))]
            else:
                knobs = [Knob(reg.knob, value=v) for v in values]
            for seed in study["seeds"]:
                for knob in knobs:
                    job = Job(
                        world=WorldRef(world["name"], world["label"], dict(world["params"])),
                        learner=LearnerRef(spec["learner"], spec["label"], reg.family,
                                           dict(config)),
                        dataset=dataset, seed=seed, knob=knob, evaluation=evaluation,
                        env_steps=study["budgets"]["env_steps"], job_fn=reg.job, limits=limits,
                    )
                    jobs.append(dataclasses.replace(job, key=job_key(job.config())))
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("two jobs of the study resolve to the same config; remove the duplicate")
    return jobs


def describe(job: Job) -> str:
    """A short human name for a job: world/label/seed[/knob]."""
    parts = [job.world.label, job.learner.label, f"seed{job.seed}"]
    if job.knob is not None and job.knob.values is None:
        parts.append(f"{job.knob.name}={job.knob.value}")
    return "/".join(parts)

"""The job grid: world x learner x seed x knob, each job a resolved config keyed by its hash.

The key hashes exactly what determines a job's result (world and its parameters, learner and its
full config, dataset recipe, seed, knob, evaluation protocol, environment-step budget), never how
it is run (time and memory limits, the function's import path, the study's name). So a rerun finds
finished jobs by key, a changed setting makes a new job, and a reworded study makes none.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from simulacra.learners.registry import get as learner_spec
from simulacra.study.schema import Study

JOB_FORMAT = 1  # bump when the meaning of a job's config changes (invalidates every key)
NOT_HASHED = ("key", "job_fn", "runner")


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def job_key(config: dict[str, Any]) -> str:
    hashed = {k: v for k, v in config.items() if k not in NOT_HASHED}
    return hashlib.sha256(canonical(hashed).encode()).hexdigest()[:16]


def expand(study: Study) -> list[dict[str, Any]]:
    """Every job of the study, in a stable order (world, learner, seed, knob)."""
    jobs: list[dict[str, Any]] = []
    for world in study["worlds"]:
        for spec in study["learners"]:
            if spec["worlds"] is not None and world["name"] not in spec["worlds"]:
                continue
            reg = learner_spec(spec["learner"])
            dataset = None
            if spec["dataset"] is not None:
                dataset = {"name": spec["dataset"], "recipe": study["datasets"][spec["dataset"]]}
            if reg.knob is None:
                knobs: list[dict[str, Any] | None] = [None]
            elif reg.knob_in_job:
                knobs = [{"name": reg.knob, "values": list(spec["knob_values"])}]
            else:
                knobs = [{"name": reg.knob, "value": v} for v in spec["knob_values"]]
            for seed in study["seeds"]:
                for knob in knobs:
                    config = {
                        "format": JOB_FORMAT,
                        "world": {"name": world["name"], "label": world["label"],
                                  "params": dict(world["params"])},
                        "learner": {"name": spec["learner"], "label": spec["label"],
                                    "family": reg.family, "config": dict(spec["config"])},
                        "dataset": dataset,
                        "seed": seed,
                        "knob": knob,
                        "evaluation": dict(study["evaluation"]),
                        "budgets": {"env_steps": study["budgets"]["env_steps"]},
                        "job_fn": reg.job,
                        "runner": {
                            "max_job_seconds": study["budgets"]["max_job_seconds"],
                            "max_memory_gb": study["budgets"]["max_memory_gb"],
                            # imported by the worker before the job runs (user worlds)
                            "imports": list(study.raw.get("imports") or []),
                        },
                    }
                    config["key"] = job_key(config)
                    jobs.append(config)
    keys = [j["key"] for j in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("two jobs of the study resolve to the same config; remove the duplicate")
    return jobs


def describe(config: dict[str, Any]) -> str:
    """A short human name for a job: world/label/seed[/knob]."""
    parts = [config["world"]["label"], config["learner"]["label"], f"seed{config['seed']}"]
    knob = config.get("knob")
    if knob and "value" in knob:
        parts.append(f"{knob['name']}={knob['value']}")
    return "/".join(parts)

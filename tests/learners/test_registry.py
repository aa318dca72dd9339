"""The learner registry: each learner declared once, in its own file, read by the study, the
loader and the CLI (simulacra.learners.registry)."""

from __future__ import annotations

import dataclasses
import importlib

import pytest

from simulacra.learners import CheckpointError, read_checkpoint_config
from simulacra.learners.registry import (
    FAMILIES,
    OFFLINE_JOB,
    LearnerSpec,
    checkpoint_learners,
    get,
    learners,
    register_learner,
)

# What the study could name before the registry (study/jobs.py's LEARNERS) and what loaded
# (learners/__init__.py's LOADERS), plus CQL in studies: nothing was lost in the move.
STUDY_LEARNERS = {"reward_optimal", "performance_optimal", "random", "quantilizer", "best_of_n",
                  "dt", "data", "online_dt", "iterated_dt", "bc", "pbc", "ppo", "dqn", "a2c",
                  "cql"}
CHECKPOINTS = {"dt", "online_dt", "ppo", "dqn", "a2c", "bc", "pbc", "cql"}


def test_every_learner_is_declared_once_in_its_own_module():
    found = learners()
    assert set(found) >= STUDY_LEARNERS
    assert set(checkpoint_learners()) >= CHECKPOINTS
    for name, spec in found.items():
        assert spec.name == name and spec.family in FAMILIES
        module, fn = spec.job.split(":")
        assert callable(getattr(importlib.import_module(module), fn)), spec.job


@pytest.mark.parametrize("name", sorted(STUDY_LEARNERS))
def test_defaults_are_the_config_dataclass_less_what_the_job_sets(name):
    spec = get(name)
    defaults = spec.defaults()
    if spec.check is not None:
        spec.check(defaults)  # the defaults are a valid config
    if spec.config is not None and name not in ("online_dt", "iterated_dt"):
        made = spec.config()
        for key, value in defaults.items():
            if hasattr(made, key):
                assert getattr(made, key) == value, (name, key)
        assert "seed" not in defaults  # the job's seed, never the study file's
    if spec.family == "offline":
        assert spec.job == OFFLINE_JOB and spec.train is not None and spec.needs_dataset


def test_a_checkpoint_of_an_unknown_learner_names_the_known_ones(tmp_path):
    (tmp_path / "config.json").write_text('{"learner": "sarsa", "world": "AbsentSupervisor"}')
    with pytest.raises(CheckpointError, match=r"known learners: .*cql"):
        read_checkpoint_config(tmp_path)


def test_registering_a_learner_from_outside(monkeypatch):
    from simulacra.learners import registry

    monkeypatch.setattr(registry, "_EXTRA", {})  # leaves no learner behind for other tests
    spec = LearnerSpec("my_learner", "offline", OFFLINE_JOB, defaults=lambda: {"steps": 3})
    register_learner(spec, replace=True)
    assert get("my_learner") is spec and "my_learner" in learners()
    with pytest.raises(ValueError, match="already registered"):
        register_learner(spec)
    with pytest.raises(ValueError, match="one of simulacra's own"):
        register_learner(dataclasses.replace(spec, name="bc"))
    with pytest.raises(ValueError, match="family"):
        register_learner(dataclasses.replace(spec, name="other", family="bandit"))
    with pytest.raises(KeyError, match="known learners"):
        get("nope")

"""Learners: one file each. Every trained learner saves a checkpoint folder holding `config.json`
(with at least `"learner"` and `"world"`) and loads back as a `simulacra.policy.Policy`."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from simulacra.policy import Policy

# learner name -> "module:function" that loads a checkpoint folder as a Policy.
LOADERS: dict[str, str] = {
    "dt": "simulacra.learners.dt_policy:load_policy",
    "online_dt": "simulacra.learners.dt_policy:load_policy",
    "ppo": "simulacra.learners.rl:load_policy",
    "dqn": "simulacra.learners.rl:load_policy",
    "a2c": "simulacra.learners.rl:load_policy",
    "bc": "simulacra.learners.bc:load_policy",
    "pbc": "simulacra.learners.bc:load_policy",
    "cql": "simulacra.learners.cql:load_policy",
}


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, corrupt, or of an unknown learner."""


def read_checkpoint_config(folder: str | Path) -> dict:
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise CheckpointError(f"{folder} is not a checkpoint folder (no config.json)")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path} is corrupt: {err}") from err
    if not isinstance(config, dict) or config.get("learner") not in LOADERS:
        raise CheckpointError(
            f"{path} names learner {config.get('learner') if isinstance(config, dict) else None!r};"
            f" known learners: {', '.join(LOADERS)}"
        )
    return config


def load_policy(folder: str | Path, **kwargs: object) -> Policy:
    """Load any learner's checkpoint folder as a Policy."""
    learner = read_checkpoint_config(folder)["learner"]
    module, fn = LOADERS[learner].split(":")
    return getattr(importlib.import_module(module), fn)(Path(folder), **kwargs)

"""Learners: one file each, each declaring its `SPECS` (see `simulacra.learners.registry`). Every
trained learner saves a checkpoint folder holding `config.json` (with at least `"learner"` and
`"world"`) and loads back as a `simulacra.policy.Policy` through its spec's `load`."""

from __future__ import annotations

import json
from pathlib import Path

from simulacra.policy import Policy


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
    from simulacra.learners.registry import checkpoint_learners  # imports every learner

    known = checkpoint_learners()
    if not isinstance(config, dict) or config.get("learner") not in known:
        raise CheckpointError(
            f"{path} names learner {config.get('learner') if isinstance(config, dict) else None!r};"
            f" known learners: {', '.join(known)}"
        )
    return config


def load_policy(folder: str | Path, **kwargs: object) -> Policy:
    """Load any learner's checkpoint folder as a Policy."""
    from simulacra.learners.registry import get

    load = get(read_checkpoint_config(folder)["learner"]).load
    assert load is not None  # read_checkpoint_config admits only learners that load
    return load(Path(folder), **kwargs)

"""Gymnasium ids `simulacra/<Name>-v0`: simulacra's own worlds are registered on `import
simulacra`, a world from outside the package by `simulacra.register_world`."""

from __future__ import annotations

import gymnasium as gym

# The id's spelling lives with the world names (the worlds table lists ids, below `envs`).
from simulacra.worlds.registry import NAMESPACE, WORLDS, env_id

__all__ = ["NAMESPACE", "env_id", "register_all", "register_env"]


def register_env(name: str) -> str:
    """Register the Gymnasium id of registered world `name` (once; `gymnasium.make` and
    `gymnasium.make_vec` then build it); returns the id."""
    if env_id(name) not in gym.registry:
        gym.register(
            id=env_id(name),
            entry_point="simulacra.envs.env:SimulacraEnv",
            vector_entry_point="simulacra.envs.vector_env:SimulacraVectorEnv",
            kwargs={"world": name},
        )
    return env_id(name)


def register_all() -> None:
    for name in WORLDS:
        register_env(name)

"""Gymnasium ids `simulacra/<Name>-v0` for every world, registered on `import simulacra`."""

from __future__ import annotations

import gymnasium as gym

from simulacra.worlds.registry import WORLDS

NAMESPACE = "simulacra"


def env_id(world: str) -> str:
    return f"{NAMESPACE}/{world}-v0"


def register_all() -> None:
    for name in WORLDS:
        if env_id(name) in gym.registry:
            continue
        gym.register(
            id=env_id(name),
            entry_point="simulacra.envs.env:SimulacraEnv",
            vector_entry_point="simulacra.envs.vector_env:SimulacraVectorEnv",
            kwargs={"world": name},
        )

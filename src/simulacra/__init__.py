"""simulacra: simulators or agents? Decision Transformers vs RL on AI Safety Gridworlds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulacra.envs.registration import register_all as _register_all

if TYPE_CHECKING:
    from simulacra.worlds.base import World

__version__ = "0.1.0"

_register_all()


def register_world(cls: type[World]) -> str:
    """Add a `World` subclass from outside the package, in this process: after it,
    `make_world`, `compiled`, `make_batch`, the exact solver, data generation, evaluation,
    `gymnasium.make("simulacra/<Name>-v0")` and `gymnasium.make_vec` all know it, and a study may
    name it (list the module that calls this under the study's `imports`). Returns the Gymnasium
    id. A name already taken is a ValueError; see docs/extending.md."""
    from simulacra.envs.registration import register_env
    from simulacra.worlds.registry import register_world as _register

    return register_env(_register(cls))


__all__ = ["__version__", "register_world"]

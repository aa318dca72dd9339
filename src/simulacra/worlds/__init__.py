"""The worlds: AI Safety Gridworlds (Leike et al. 2017) and the worlds the study adds."""

from simulacra.worlds.base import ACTION_KEYS, ACTION_NAMES, Outcome, World
from simulacra.worlds.registry import (
    WORLDS,
    UnknownWorldError,
    compiled,
    make_batch,
    make_world,
)

__all__ = [
    "ACTION_KEYS",
    "ACTION_NAMES",
    "WORLDS",
    "Outcome",
    "UnknownWorldError",
    "World",
    "compiled",
    "make_batch",
    "make_world",
]

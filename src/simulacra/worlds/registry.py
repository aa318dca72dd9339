"""The world registry: names, parameters, and the cached compiled tables behind each."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

from simulacra.engine import Batch, TableBatch
from simulacra.exact.compile import CompiledWorld, compile_world
from simulacra.worlds.base import World

# name -> "module:Class". Imported lazily so that listing worlds costs nothing.
WORLDS: dict[str, str] = {
    "SafeInterruptibility": "safe_interruptibility:SafeInterruptibility",
    "AbsentSupervisor": "absent_supervisor:AbsentSupervisor",
    "WhiskyGold": "whisky_gold:WhiskyGold",
    "SideEffectsSokoban": "side_effects_sokoban:SideEffectsSokoban",
    "BoatRace": "boat_race:BoatRace",
    "TomatoWatering": "tomato_watering:TomatoWatering",
    "TomatoCRMDP": "tomato_watering:TomatoCRMDP",
    "RocksDiamonds": "rocks_diamonds:RocksDiamonds",
    "IslandNavigation": "island_navigation:IslandNavigation",
    "DistributionalShift": "distributional_shift:DistributionalShift",
    "FriendFoe": "friend_foe:FriendFoe",
    "ConveyorBelt": "conveyor_belt:ConveyorBelt",
    "KeyToDoor": "key_to_door:KeyToDoor",
    "Gambling": "gambling:Gambling",
    "Survival": "survival:Survival",
}


class UnknownWorldError(ValueError):
    pass


def world_class(name: str) -> Callable[..., World]:
    if name not in WORLDS:
        raise UnknownWorldError(f"unknown world {name!r}; known worlds: {', '.join(WORLDS)}")
    module, cls = WORLDS[name].split(":")
    return getattr(importlib.import_module(f"simulacra.worlds.{module}"), cls)


def make_world(name: str, **params: object) -> World:
    """Build world `name` at `params`; bad parameters raise ValueError naming what is valid."""
    cls = world_class(name)
    try:
        return cls(**params)
    except TypeError as err:
        raise ValueError(f"{name}: bad parameters {params}: {err}") from err


def _key(params: dict[str, object]) -> tuple:
    return tuple(sorted(params.items()))


@functools.lru_cache(maxsize=64)
def _compiled(name: str, key: tuple) -> CompiledWorld:
    return compile_world(make_world(name, **dict(key)))


def compiled(name: str, **params: object) -> CompiledWorld:
    """The compiled tables of a world (built once per process and parameters)."""
    world = make_world(name, **params)  # validates parameters before the cache sees them
    if not world.compilable:
        raise ValueError(
            f"{name} {world.params()} has no exact tables: it steps through a numpy path"
        )
    return _compiled(name, _key(world.params()))


def make_batch(name: str, n: int, seed: int | None = None, **params: object) -> Batch:
    """N copies of a world: table-driven where compiled, the world's numpy path otherwise."""
    world = make_world(name, **params)
    if world.compilable:
        return TableBatch(_compiled(name, _key(world.params())), n, seed)
    return world.batch(n, seed)  # type: ignore[attr-defined]

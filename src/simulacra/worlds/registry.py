"""The world registry: names, parameters, and the cached compiled tables behind each.

simulacra's own worlds are listed in `WORLDS` (imported lazily, so listing them costs nothing);
a world from outside the package joins with `register_world(cls)` (the public face is
`simulacra.register_world`, which also registers its Gymnasium id). Every function here then
serves both alike: `make_world`, `compiled`, `make_batch`, and through them the exact solver,
data generation, evaluation and the study.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
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


#: Worlds registered from outside the package in this process, by name.
REGISTERED: dict[str, type[World]] = {}

NAMESPACE = "simulacra"  # of the Gymnasium ids


def env_id(world: str) -> str:
    """The Gymnasium id of world `world` (registered by `simulacra.envs.registration`)."""
    return f"{NAMESPACE}/{world}-v0"


NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # usable in a Gymnasium id and a study file


class UnknownWorldError(ValueError):
    pass


def world_names() -> list[str]:
    """Every world this process knows: simulacra's own, then the registered ones."""
    return [*WORLDS, *REGISTERED]


def world_class(name: str) -> Callable[..., World]:
    if name in REGISTERED:
        return REGISTERED[name]
    if name not in WORLDS:
        raise UnknownWorldError(
            f"unknown world {name!r}; known worlds: {', '.join(world_names())}")
    module, cls = WORLDS[name].split(":")
    return getattr(importlib.import_module(f"simulacra.worlds.{module}"), cls)


def register_world(cls: type[World]) -> str:
    """Make World subclass `cls` known by its `name` in this process; returns the name.

    A name taken by one of simulacra's worlds, or by another class, is a ValueError (registering
    the same class again, as re-importing its module does, is allowed). A world that cannot be
    compiled must implement `World.batch`."""
    if not (isinstance(cls, type) and issubclass(cls, World)):
        raise TypeError(f"register_world expects a World subclass, got {cls!r}")
    where = f"{cls.__module__}.{cls.__qualname__}"
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise TypeError(f"{where} does not implement {missing}")
    name = cls.__dict__.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(f"{where} needs a class attribute `name`: letters, digits or '_', "
                         f"starting with a letter (got {name!r})")
    if not cls.compilable and cls.batch is World.batch:
        raise TypeError(f"{where} sets compilable = False, so it must implement batch(n, seed)")
    if name in WORLDS:
        raise ValueError(f"world name {name!r} is taken by simulacra's own world; choose another")
    old = REGISTERED.get(name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"world name {name!r} is already registered by "
                         f"{old.__module__}.{old.__qualname__}; choose another")
    REGISTERED[name] = cls
    _compiled.cache_clear()  # a re-registered class may have new rules
    return name


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
    return world.batch(n, seed)

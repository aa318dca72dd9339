"""The contract every world implements, written once and readably.

A world is a set of rules over hashable states. It says which states an episode can start in
(`initial_states`), what can follow a state and an action (`outcomes`, an exact distribution), and
what the agent sees (`observe`). Nothing here is fast: speed comes from compiling these rules into
tables once (`simulacra.exact.compile`), then stepping batches of worlds by gathers.

Worlds whose state space cannot be enumerated (TomatoWatering's 2^13 drying branches, FriendFoe's
cross-episode memory) say so by `compilable = False` and implement `batch(n, seed)` instead: a
subclass of `simulacra.engine.Batch` stepping n copies in numpy (their only copy of the rules).

A world from outside the package joins with `simulacra.register_world(cls)` (docs/extending.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # for the annotation only: the engine sits above the worlds
    from simulacra.engine import Batch

State = Hashable

UP, DOWN, LEFT, RIGHT, NOOP = 0, 1, 2, 3, 4
ACTION_NAMES = ("UP", "DOWN", "LEFT", "RIGHT", "NOOP")
ACTION_KEYS = "udlrn"  # the letters WORLDS.md writes trajectories with

EPISODE_LIMIT = 100


@dataclass(frozen=True)
class Outcome:
    """One branch of a transition: it happens with probability `prob`."""

    prob: float
    state: State
    reward: float
    performance: float
    events: Mapping[str, int] = field(default_factory=dict)
    terminated: bool = False


class World(ABC):
    """Rules of one world at fixed parameters (level, variant, ...)."""

    #: Registered name, e.g. "AbsentSupervisor" (the Gymnasium id is simulacra/<name>-v0).
    name: ClassVar[str]
    #: Names of the safety events this world reports every step (counts per step).
    event_names: ClassVar[tuple[str, ...]] = ()
    #: Every character an observation may contain; observations are indices into it.
    alphabet: ClassVar[str] = "# A"
    #: False for worlds that step only through a batched numpy path (no exact analysis).
    compilable: ClassVar[bool] = True
    #: Names of extra per-state numbers reported in `info` (not observed), e.g. distance to water.
    extra_names: ClassVar[tuple[str, ...]] = ()

    n_actions: int = 4
    max_steps: int = EPISODE_LIMIT

    @abstractmethod
    def initial_states(self) -> Sequence[tuple[float, State]]:
        """The distribution of start states, as (probability, state) pairs."""

    @abstractmethod
    def outcomes(self, state: State, action: int) -> Sequence[Outcome]:
        """The exact distribution of what follows `action` in `state` (probabilities sum to 1)."""

    @abstractmethod
    def observe(self, state: State) -> Sequence[str]:
        """The board the agent sees in `state`, as rows of characters from `alphabet`."""

    def extras(self, state: State) -> Mapping[str, float]:
        """Numbers reported in `info` but never observed (see `extra_names`)."""
        return {}

    def params(self) -> dict[str, object]:
        """The parameters this instance was built with (recorded with every run)."""
        return {}

    def batch(self, n: int, seed: int | None = None) -> Batch:
        """N copies stepped in numpy: what a world with `compilable = False` must implement (a
        `simulacra.engine.Batch` subclass). Compiled worlds never need it: they step through
        their tables (`simulacra.worlds.registry.make_batch`)."""
        raise NotImplementedError(
            f"{type(self).__name__} is compiled: step it with simulacra.worlds.make_batch")

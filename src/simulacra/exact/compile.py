"""Compile a world's rules into tables, once.

Every state reachable from the start distribution is enumerated breadth-first; each (state, action)
gets its exact outcome distribution as up to K branches. Stepping a batch of N worlds is then a
gather (see `simulacra.engine.TableBatch`), and exact analysis (`simulacra.exact.solve`) runs on the
same tables, so the fast path and the analysed world cannot drift apart.

Layout (S states, A actions, K branches, E events, H x W board):
    next_state  int32   [S, A, K]   successor index (branches past an outcome's count: prob 0)
    prob        float64 [S, A, K]
    reward      float64 [S, A, K]
    performance float64 [S, A, K]   hidden performance increment
    terminated  bool    [S, A, K]
    events      int16   [S, A, K, E]
    obs         uint8   [S, H, W]   indices into the world's alphabet
    extras      float32 [S, X]      per-state numbers reported in info (never observed)
States reached only through a terminating transition are not expanded: they get an absorbing
self-loop, since no episode ever acts in them.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the compiler takes any World; worlds sit above exact and import it
    from simulacra.worlds.base import State, World


@dataclass
class CompiledWorld:
    name: str
    params: dict[str, object]
    alphabet: str
    event_names: tuple[str, ...]
    extra_names: tuple[str, ...]
    max_steps: int
    states: list[State]
    init_states: np.ndarray
    init_probs: np.ndarray
    next_state: np.ndarray
    prob: np.ndarray
    reward: np.ndarray
    performance: np.ndarray
    terminated: np.ndarray
    events: np.ndarray
    obs: np.ndarray
    extras: np.ndarray
    compile_seconds: float = 0.0
    index: dict[State, int] = field(default_factory=dict, repr=False)

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_actions(self) -> int:
        return int(self.next_state.shape[1])

    @property
    def obs_shape(self) -> tuple[int, int]:
        return (int(self.obs.shape[1]), int(self.obs.shape[2]))

    def board(self, s: int) -> list[str]:
        """The observation of state index `s` as rows of characters."""
        return ["".join(self.alphabet[c] for c in row) for row in self.obs[s]]


def _encode(rows: list[str] | tuple[str, ...], alphabet: str, world: str) -> np.ndarray:
    try:
        return np.array([[alphabet.index(c) for c in row] for row in rows], dtype=np.uint8)
    except ValueError as err:
        bad = sorted({c for row in rows for c in row} - set(alphabet))
        raise ValueError(f"{world}: observation holds {bad}, not in alphabet {alphabet!r}") from err


class Reachable:
    """Breadth-first enumeration by key: a new key gets the next index and joins the queue; a
    key first reached as a terminal successor (not expandable) is queued again when it is later
    reached as expandable. Shared by the world compiler (keys: states) and the belief enumerator
    (keys: beliefs); `items[i]` holds what the caller keeps for index i."""

    def __init__(self, limit: int | None = None, too_many: str = "") -> None:
        self.index: dict = {}
        self.items: list = []
        self.expand: list[bool] = []
        self.queue: deque[int] = deque()
        self.limit, self.too_many = limit, too_many

    def intern(self, key: object, item: object, expandable: bool) -> int:
        i = self.index.get(key)
        if i is None:
            if self.limit is not None and len(self.items) >= self.limit:
                raise ValueError(self.too_many)
            i = len(self.items)
            self.index[key] = i
            self.items.append(item)
            self.expand.append(expandable)
            self.queue.append(i)
        elif expandable and not self.expand[i]:
            self.expand[i] = True
            self.queue.append(i)
        return i


def compile_world(world: World) -> CompiledWorld:
    """Enumerate `world` into tables. Raises if the world is not compilable."""
    if not world.compilable:
        raise ValueError(f"{world.name} cannot be compiled (it steps through a numpy path)")
    started = time.perf_counter()
    reach = Reachable()
    index: dict[State, int] = reach.index
    states: list[State] = reach.items
    expand, queue = reach.expand, reach.queue

    def intern(s: State, expandable: bool) -> int:
        return reach.intern(s, s, expandable)

    init = world.initial_states()
    init_idx = [intern(s, True) for _, s in init]
    init_p = np.array([p for p, _ in init], dtype=np.float64)

    A = world.n_actions
    E = len(world.event_names)
    rows: dict[int, list[list[tuple]]] = {}
    done: set[int] = set()
    while queue:
        i = queue.popleft()
        if i in done or not expand[i]:
            continue
        done.add(i)
        per_action = []
        for a in range(A):
            merged: dict[tuple, float] = {}
            for o in world.outcomes(states[i], a):
                if o.prob <= 0:
                    continue
                ev = tuple(int(o.events.get(n, 0)) for n in world.event_names)
                unknown = set(o.events) - set(world.event_names)
                if unknown:
                    raise ValueError(f"{world.name}: undeclared events {sorted(unknown)}")
                j = intern(o.state, not o.terminated)
                key = (j, float(o.reward), float(o.performance), ev, bool(o.terminated))
                merged[key] = merged.get(key, 0.0) + o.prob
            total = sum(merged.values())
            if abs(total - 1.0) > 1e-9:
                raise ValueError(f"{world.name}: outcome probabilities sum to {total}")
            per_action.append([(p, *k) for k, p in merged.items()])
        rows[i] = per_action

    S = len(states)
    K = max((len(b) for acts in rows.values() for b in acts), default=1)
    next_state = np.repeat(np.arange(S, dtype=np.int32)[:, None, None], A, 1).repeat(K, 2)
    prob = np.zeros((S, A, K))
    prob[:, :, 0] = 1.0  # absorbing self-loops for states never acted in
    reward = np.zeros((S, A, K))
    perf = np.zeros((S, A, K))
    term = np.zeros((S, A, K), dtype=bool)
    events = np.zeros((S, A, K, E), dtype=np.int16)
    for i, acts in rows.items():
        prob[i] = 0.0
        for a, branches in enumerate(acts):
            for k, (p, j, r, pf, ev, t) in enumerate(branches):
                next_state[i, a, k], prob[i, a, k], reward[i, a, k] = j, p, r
                perf[i, a, k], term[i, a, k] = pf, t
                events[i, a, k] = ev
    obs = np.stack([_encode(world.observe(s), world.alphabet, world.name) for s in states])
    extras = np.array(
        [[float(world.extras(s).get(n, 0.0)) for n in world.extra_names] for s in states],
        dtype=np.float32,
    ).reshape(S, len(world.extra_names))
    return CompiledWorld(
        name=world.name,
        params=world.params(),
        alphabet=world.alphabet,
        event_names=tuple(world.event_names),
        extra_names=tuple(world.extra_names),
        max_steps=world.max_steps,
        states=states,
        init_states=np.array(init_idx, dtype=np.int32),
        init_probs=init_p / init_p.sum(),
        next_state=next_state,
        prob=prob,
        reward=reward,
        performance=perf,
        terminated=term,
        events=events,
        obs=obs,
        extras=extras,
        compile_seconds=time.perf_counter() - started,
        index=index,
    )

"""Behaviour policies: the makers of datasets, built from the exact analysis of a compiled world.

Skill is controlled, not hoped for. On a compiled world the exact optimal Q-values for reward and
for performance are known at every (state, steps taken), so a dataset's quality is set by
    Boltzmann:  pi(a | s, t) = softmax(Q_t(s, .) / T)[a]        (T = 0: the optimal policy)
    eps-random: pi = (1 - eps) * pi_base + eps * uniform
with Q over reward (`*-reward`, the unsafe shortcut is attractive) or over performance
(`*-performance`, the safe way). The `Mixture` makes each episode with one component, chosen per
episode, and says which. These policies read the compiled state (`View.states`): they are exact
references, allowed to see what learners may not.

Every Q-based policy is also a `TabularPolicy` (`probs(states, t)`), so
`simulacra.exact.solve.evaluate` gives its exact expected return to check sampled data against.

Worlds without tables get `random`; other kinds (e.g. trained agents) plug in through
`register_behaviour(kind, factory)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simulacra.data.recipe import Q_KINDS, Component, RecipeError, add_kind
from simulacra.data.recipe import registered_kinds as registered_kinds  # public here too
from simulacra.exact.compile import CompiledWorld
from simulacra.exact.solve import OptimalPolicy, Signal, greedy, optimal_policy
from simulacra.policy import Policy, View
from simulacra.worlds.registry import compiled, make_world


def sample(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of probs [N, A], int64 [N]."""
    cum = np.cumsum(probs, axis=1)
    a = (rng.random(len(probs))[:, None] >= cum).sum(axis=1)
    return np.minimum(a, probs.shape[1] - 1).astype(np.int64)  # round-off past the last bin


class QBehaviour:
    """softmax(Q / T) over one signal's exact optimal Q-values, eps uniform actions mixed in."""

    def __init__(self, opt: OptimalPolicy, temperature: float = 0.0, epsilon: float = 0.0) -> None:
        if temperature < 0 or not 0 <= epsilon <= 1:
            raise ValueError(f"need T >= 0 and eps in [0, 1], got T={temperature}, eps={epsilon}")
        self.opt = opt
        self.cw: CompiledWorld = opt.cw
        self.signal: Signal = opt.signal
        self.temperature = float(temperature)
        self.epsilon = float(epsilon)
        self.n_actions = self.cw.n_actions
        self.rng = np.random.default_rng()

    def probs(self, states: np.ndarray, t: int) -> np.ndarray:
        """Action probabilities [N, A] in compiled states [N] after t steps."""
        t = min(max(int(t), 0), self.cw.max_steps - 1)  # episodes never act past the limit
        q = self.opt.q(np.asarray(states, dtype=np.int64), t)  # [N, A]
        if self.temperature == 0.0:
            p = greedy(q)
        else:
            z = (q - q.max(axis=1, keepdims=True)) / self.temperature
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
        if self.epsilon:
            p = (1.0 - self.epsilon) * p + self.epsilon / self.n_actions
        return p

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, view: View) -> np.ndarray:
        if view.states is None:
            raise ValueError("a Q-based behaviour policy needs compiled states (View.states)")
        states = np.asarray(view.states, dtype=np.int64)
        t = np.asarray(view.t)
        probs = np.empty((len(states), self.n_actions))
        for step in np.unique(t):  # one gather per distinct step count (usually one)
            rows = t == step
            probs[rows] = self.probs(states[rows], int(step))
        return sample(probs, self.rng)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        pass


class UniformBehaviour:
    """Uniformly random actions; needs nothing but the number of actions."""

    def __init__(self, n_actions: int) -> None:
        self.n_actions = n_actions
        self.rng = np.random.default_rng()

    def probs(self, states: np.ndarray, t: int) -> np.ndarray:
        return np.full((len(states), self.n_actions), 1.0 / self.n_actions)

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, view: View) -> np.ndarray:
        return self.rng.integers(0, self.n_actions, size=len(view.obs), dtype=np.int64)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        pass


class Mixture:
    """Per-episode mixture: copy i of the batch follows component `assignment[i]` all episode.

    `reset` draws the assignment from `shares` (as a Policy for evaluation); dataset generation
    sets exact allotments with `assign` right after `reset` instead.
    """

    def __init__(self, components: Sequence[Policy], shares: Sequence[float]) -> None:
        if len(components) != len(shares) or not components:
            raise ValueError("a mixture needs one share per component, and at least one")
        if len({c.n_actions for c in components}) != 1:
            raise ValueError("mixture components disagree on the number of actions")
        self.components = list(components)
        self.shares = np.asarray(shares, dtype=np.float64) / np.sum(shares)
        self.n_actions = components[0].n_actions
        self.assignment = np.zeros(0, dtype=np.int64)
        self.rng = np.random.default_rng()

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        seeds = np.random.SeedSequence(seed).spawn(len(self.components) + 1)
        self.rng = np.random.default_rng(seeds[0])
        for c, s in zip(self.components, seeds[1:], strict=True):
            c.reset(n, targets, seed=int(s.generate_state(1)[0]))
        self.assignment = self.rng.choice(len(self.components), size=n, p=self.shares)

    def assign(self, assignment: np.ndarray) -> None:
        """Fix which component each copy follows, int [N]."""
        assignment = np.asarray(assignment, dtype=np.int64)
        if assignment.size and (assignment.min() < 0 or assignment.max() >= len(self.components)):
            raise ValueError(f"assignment outside 0..{len(self.components) - 1}")
        self.assignment = assignment

    def act(self, view: View) -> np.ndarray:
        n = len(view.obs)
        if len(self.assignment) != n:
            raise ValueError(f"mixture was reset for {len(self.assignment)} copies, asked for {n}")
        actions = np.zeros(n, dtype=np.int64)
        for k, comp in enumerate(self.components):
            rows = np.flatnonzero(self.assignment == k)
            if rows.size:
                sub = View(
                    obs=view.obs[rows],
                    t=np.asarray(view.t)[rows],
                    states=None if view.states is None else np.asarray(view.states)[rows],
                )
                actions[rows] = comp.act(sub)
        return actions

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        for k, comp in enumerate(self.components):
            rows = self.assignment == k
            if rows.any():
                comp.observe(actions[rows], reward[rows], done[rows])


@dataclass(frozen=True)
class WorldInfo:
    """What a behaviour factory may use: the world, its parameters, its tables if any."""

    world: str
    params: dict[str, object]
    n_actions: int
    tables: CompiledWorld | None


Factory = Callable[[Component, WorldInfo], Policy]


def _q_factory(c: Component, info: WorldInfo) -> Policy:
    if info.tables is None:
        raise RecipeError(
            f"{c.kind} needs exact Q-values, but {info.world} has no compiled tables; "
            "use random (or a registered trained-agent kind)"
        )
    signal = Q_KINDS[c.kind][0]
    return QBehaviour(_optimal(info.tables, signal), c.temperature, c.epsilon)


_OPTIMAL_CACHE: dict[tuple[int, str], OptimalPolicy] = {}


def _optimal(cw: CompiledWorld, signal: str) -> OptimalPolicy:
    """Value tables are solved once per compiled world and signal (they are the slow part)."""
    key = (id(cw), signal)
    if key not in _OPTIMAL_CACHE or _OPTIMAL_CACHE[key].cw is not cw:
        _OPTIMAL_CACHE[key] = optimal_policy(cw, signal)  # type: ignore[arg-type]
    return _OPTIMAL_CACHE[key]


_FACTORIES: dict[str, Factory] = {kind: _q_factory for kind in Q_KINDS}
_FACTORIES["random"] = lambda c, info: UniformBehaviour(info.n_actions)


def register_behaviour(kind: str, factory: Factory) -> None:
    """Make `kind` usable in recipes: factory(component, world info) -> Policy.

    The hook for behaviour that is not exact (e.g. a trained agent whose checkpoint path comes
    in `component.options`). A registered kind may not replace a built-in one.
    """
    if kind in Q_KINDS or kind == "random":
        raise ValueError(f"{kind!r} is a built-in behaviour kind")
    _FACTORIES[kind] = factory
    add_kind(kind)


def world_info(world: str, params: dict[str, object]) -> WorldInfo:
    w = make_world(world, **params)
    tables = compiled(world, **params) if w.compilable else None
    return WorldInfo(world, dict(w.params()), w.n_actions, tables)


def make_behaviour(component: Component, info: WorldInfo) -> Policy:
    """The policy one recipe component stands for, on the given world."""
    if component.kind not in _FACTORIES:
        raise RecipeError(
            f"unknown policy kind {component.kind!r}; known kinds: {', '.join(_FACTORIES)}"
        )
    return _FACTORIES[component.kind](component, info)


def make_mixture(components: Sequence[Component], info: WorldInfo) -> Mixture:
    return Mixture([make_behaviour(c, info) for c in components], [c.share for c in components])

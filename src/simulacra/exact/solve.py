"""Exact analysis on compiled tables: optimal values and policies, policy evaluation, visitation.

Episodes last at most `max_steps` (100) with no discounting, so everything here is finite-horizon
backward induction: V_h(s) is the best expected sum of a signal over the h steps left,
    Q_h(s, a) = sum_k p_k(s, a) * (x_k(s, a) + (1 - done_k(s, a)) * V_{h-1}(s'_k)),
    V_h(s) = max_a Q_h(s, a),  V_0 = 0.
Optimal policies are therefore time-dependent: they act on (state, steps taken).

Ties: an optimal policy spreads its probability uniformly over every action within `TIE_TOL` of
the best (the maximum-entropy optimal policy). Where reward-optimal behaviours differ in
performance (BoatRace: laps and gaming both earn 50), the figure is their average, not the best
or worst case; `evaluate` of a policy that picks one of them gives that one's figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from simulacra.exact.compile import CompiledWorld

Signal = Literal["reward", "performance"]
TIE_TOL = 1e-6


def signal_table(cw: CompiledWorld, signal: Signal) -> np.ndarray:
    if signal == "reward":
        return cw.reward
    if signal == "performance":
        return cw.performance
    raise ValueError(f"unknown signal {signal!r}: expected 'reward' or 'performance'")


def backup(cw: CompiledWorld, x: np.ndarray, v_next: np.ndarray) -> np.ndarray:
    """Q[s, a] = sum_k p (x + (1 - done) v_next[s']) for a per-branch signal x [S, A, K]."""
    cont = np.where(cw.terminated, 0.0, v_next[cw.next_state])
    return np.einsum("sak,sak->sa", cw.prob, x + cont)


def optimal_values(cw: CompiledWorld, signal: Signal = "reward") -> np.ndarray:
    """V[h, s] for h = 0..max_steps steps left, optimal for `signal`."""
    x = signal_table(cw, signal)
    V = np.zeros((cw.max_steps + 1, cw.n_states))
    for h in range(1, cw.max_steps + 1):
        V[h] = backup(cw, x, V[h - 1]).max(axis=1)
    return V


def greedy(q: np.ndarray, tol: float = TIE_TOL) -> np.ndarray:
    """Uniform probabilities over the actions within `tol` of the row's best ([N, A] -> [N, A])."""
    best = q.max(axis=1, keepdims=True)
    mask = (q >= best - tol).astype(np.float64)
    return mask / mask.sum(axis=1, keepdims=True)


class TabularPolicy(Protocol):
    """A policy over compiled state indices and the number of steps already taken."""

    n_actions: int

    def probs(self, states: np.ndarray, t: int) -> np.ndarray:
        """Action probabilities [N, A] for states [N] at step t (0-based)."""
        ...


@dataclass
class UniformPolicy:
    n_actions: int

    def probs(self, states: np.ndarray, t: int) -> np.ndarray:
        return np.full((len(states), self.n_actions), 1.0 / self.n_actions)


@dataclass
class OptimalPolicy:
    """The (maximum-entropy) optimal policy for one signal, from its value table."""

    cw: CompiledWorld
    signal: Signal
    values: np.ndarray

    @property
    def n_actions(self) -> int:
        return self.cw.n_actions

    def q(self, states: np.ndarray, t: int) -> np.ndarray:
        h = self.cw.max_steps - t  # steps left, this one included
        v_next = self.values[h - 1]
        sub = lambda a: a[states]  # noqa: E731 - gather the rows of this batch once
        cont = np.where(sub(self.cw.terminated), 0.0, v_next[sub(self.cw.next_state)])
        x = sub(signal_table(self.cw, self.signal))
        return np.einsum("nak,nak->na", sub(self.cw.prob), x + cont)

    def probs(self, states: np.ndarray, t: int) -> np.ndarray:
        return greedy(self.q(np.asarray(states), t))


def optimal_policy(cw: CompiledWorld, signal: Signal = "reward") -> OptimalPolicy:
    return OptimalPolicy(cw, signal, optimal_values(cw, signal))


@dataclass(frozen=True)
class Evaluation:
    """Exact expected figures of a policy from the start distribution."""

    ret: float
    performance: float
    events: dict[str, float]


def evaluate(cw: CompiledWorld, policy: TabularPolicy) -> Evaluation:
    """Expected return, performance and event counts per episode, exactly."""
    S, T, E = cw.n_states, cw.max_steps, len(cw.event_names)
    all_states = np.arange(S)
    # Value of every signal at once: channel 0 reward, 1 performance, 2.. events.
    x = np.concatenate(
        [cw.reward[..., None], cw.performance[..., None], cw.events.astype(np.float64)], axis=-1
    )
    J = np.zeros((S, 2 + E))
    for t in reversed(range(T)):
        pi = policy.probs(all_states, t)  # [S, A]
        cont = np.where(cw.terminated[..., None], 0.0, J[cw.next_state])  # [S, A, K, C]
        q = np.einsum("sak,sakc->sac", cw.prob, x + cont)
        J = np.einsum("sa,sac->sc", pi, q)
    start = cw.init_probs @ J[cw.init_states]
    return Evaluation(
        ret=float(start[0]),
        performance=float(start[1]),
        events={n: float(start[2 + i]) for i, n in enumerate(cw.event_names)},
    )


def visitation(cw: CompiledWorld, policy: TabularPolicy) -> np.ndarray:
    """d[t, s]: probability that the episode is in state s and still running at step t."""
    S, T = cw.n_states, cw.max_steps
    d = np.zeros((T, S))
    d[0, cw.init_states] += cw.init_probs
    all_states = np.arange(S)
    for t in range(T - 1):
        pi = policy.probs(all_states, t)
        flow = d[t][:, None, None] * pi[:, :, None] * cw.prob * ~cw.terminated
        np.add.at(d[t + 1], cw.next_state.ravel(), flow.ravel())
    return d

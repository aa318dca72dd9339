"""Batched stepping: N copies of one world advanced together.

`Batch` is what every fast path shares (the Gymnasium VectorEnv, dataset generation, evaluation):
it owns the per-copy step counter and the 100-step truncation, and subclasses supply the rules.
`TableBatch` steps a compiled world by gathers; worlds that cannot be compiled implement their own
`Batch` subclass in numpy (their only copy of the rules).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from simulacra.exact.compile import CompiledWorld


@dataclass
class StepResult:
    """What one batched step produced, one entry per copy."""

    reward: np.ndarray  # float64 [N]
    performance: np.ndarray  # float64 [N] hidden performance increment
    events: np.ndarray  # int16 [N, E] safety events this step
    terminated: np.ndarray  # bool [N]
    truncated: np.ndarray  # bool [N] the episode limit was reached (and not terminated)


class Batch(ABC):
    """N copies of a world. Call `reset()` first; `step` never resets by itself."""

    name: str
    n_actions: int
    alphabet: str
    event_names: tuple[str, ...]
    extra_names: tuple[str, ...] = ()
    obs_shape: tuple[int, int]
    max_steps: int = 100

    def __init__(self, n: int, seed: int | None = None) -> None:
        if n < 1:
            raise ValueError(f"a batch needs at least one copy, got n={n}")
        self.n = n
        self.rng = np.random.default_rng(seed)
        self.t = np.zeros(n, dtype=np.int32)

    def seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Start new episodes in every copy, or only where `mask` is True."""
        mask = np.ones(self.n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        self.t[mask] = 0
        self._reset(mask)

    def step(self, actions: np.ndarray) -> StepResult:
        actions = np.asarray(actions)
        if actions.shape != (self.n,):
            raise ValueError(f"expected {self.n} actions, got shape {actions.shape}")
        # One unsigned comparison catches negatives too (they wrap to huge values).
        if (actions.astype(np.uint64, copy=False) >= self.n_actions).any():
            bad = actions[(actions < 0) | (actions >= self.n_actions)][0]
            raise ValueError(
                f"action {bad} is outside {self.name}'s action space 0..{self.n_actions - 1}"
            )
        reward, perf, events, terminated = self._step(actions.astype(np.int64, copy=False))
        self.t += 1
        truncated = (self.t >= self.max_steps) & ~terminated
        return StepResult(reward, perf, events, terminated, truncated)

    @abstractmethod
    def _reset(self, mask: np.ndarray) -> None: ...

    @abstractmethod
    def _step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...

    @abstractmethod
    def observe(self) -> np.ndarray:
        """Observations uint8 [N, H, W]: indices into `alphabet`."""

    def extras(self) -> np.ndarray:
        """Per-copy numbers reported in info but never observed, float32 [N, X]."""
        return np.zeros((self.n, len(self.extra_names)), dtype=np.float32)

    def board(self, i: int) -> list[str]:
        """Copy i's observation as rows of characters."""
        return ["".join(self.alphabet[c] for c in row) for row in self.observe()[i]]


class TableBatch(Batch):
    """A compiled world stepped by gathers: next state, reward, performance, events per branch."""

    def __init__(self, cw: CompiledWorld, n: int, seed: int | None = None) -> None:
        super().__init__(n, seed)
        self.cw = cw
        self.name = cw.name
        self.n_actions = cw.n_actions
        self.alphabet = cw.alphabet
        self.event_names = cw.event_names
        self.extra_names = cw.extra_names
        self.obs_shape = cw.obs_shape
        self.max_steps = cw.max_steps
        A, K = cw.n_actions, cw.prob.shape[2]
        self._A, self._k = A, K
        # Flat (state, action, branch) rows: one step is one `take` per table (np.take on a 1-D
        # contiguous array is several times faster than fancy indexing a 3-D one).
        self._next = np.ascontiguousarray(cw.next_state.reshape(-1), dtype=np.int64)
        self._reward = np.ascontiguousarray(cw.reward.reshape(-1))
        self._perf = np.ascontiguousarray(cw.performance.reshape(-1))
        self._term = np.ascontiguousarray(cw.terminated.reshape(-1))
        n_rows, n_events = cw.next_state.size, len(cw.event_names)  # E may be 0
        self._events = np.ascontiguousarray(cw.events.reshape(n_rows, n_events))
        self._cum = np.cumsum(cw.prob.reshape(-1, K), axis=1)
        self._cum[:, -1] = 1.0 + 1e-12  # never let round-off pick a padded branch
        self._init_cum = np.cumsum(cw.init_probs)
        self._init_cum[-1] = 1.0 + 1e-12
        self.states = np.zeros(n, dtype=np.int64)

    def _reset(self, mask: np.ndarray) -> None:
        m = int(mask.sum())
        if len(self.cw.init_states) == 1:
            self.states[mask] = self.cw.init_states[0]
        else:
            pick = np.searchsorted(self._init_cum, self.rng.random(m), side="right")
            self.states[mask] = self.cw.init_states[pick]

    def _step(self, actions: np.ndarray):
        idx = (self.states * self._A + actions) * self._k
        if self._k > 1:
            u = self.rng.random(self.n)
            idx += (u[:, None] >= self._cum.take(idx // self._k, axis=0)).sum(axis=1)
        self.states = self._next.take(idx)
        return (self._reward.take(idx), self._perf.take(idx), self._events.take(idx, axis=0),
                self._term.take(idx))

    def observe(self) -> np.ndarray:
        return self.cw.obs.take(self.states, axis=0)

    def extras(self) -> np.ndarray:
        return self.cw.extras.take(self.states, axis=0)

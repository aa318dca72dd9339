"""The one interface evaluation uses for every learner, the exact references included.

Evaluation steps N episodes together. At each step it hands the policy a `View` of the batch and
asks for N actions; after the step it tells the policy what happened (`observe`), which is where a
return-conditioned learner decrements its return-to-go. A policy is reset once per batch of
episodes, with per-episode targets for return-conditioned learners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass
class View:
    """What a policy may look at before acting, for N copies of a world."""

    obs: np.ndarray  # uint8 [N, H, W] board as alphabet indices
    t: np.ndarray  # int [N] steps already taken in each episode
    #: Compiled state indices. Only the exact references may use them: they stand for the
    #: "perfect agent" and the quantilizer, which are defined on the true state.
    states: np.ndarray | None = None


@runtime_checkable
class Policy(Protocol):
    n_actions: int

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        """Begin N episodes; `targets` [N] are the returns asked of return-conditioned policies."""
        ...

    def act(self, view: View) -> np.ndarray:
        """Actions int64 [N]."""
        ...

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        """What the last step gave (rewards [N], episodes that ended [N])."""
        ...


def one_hot_obs(obs: np.ndarray, n_symbols: int) -> np.ndarray:
    """Boards [N, H, W] of symbol indices as one-hot features float32 [N, H * W * n_symbols]."""
    n = obs.shape[0]
    out = np.zeros((n, obs.shape[1] * obs.shape[2], n_symbols), dtype=np.float32)
    flat = obs.reshape(n, -1)
    np.put_along_axis(out, flat[..., None].astype(np.int64), 1.0, axis=2)
    return out.reshape(n, -1)

"""The data's empirical behaviour: visit and action counts keyed by state (and optionally step).

States are compiled indices where both sides have them; otherwise each observation is hashed to a
48-bit key (`obs_keys`), which identifies states up to what the agent can see. Both the
Dataset and evaluation's Episodes have `states`, `obs`, `actions`, `timesteps`, `starts`, so
`steps_of` reads either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_HASH_W = np.random.default_rng(0x0B5).integers(1, 2**63, size=4096, dtype=np.uint64) | 1


def obs_keys(obs: np.ndarray) -> np.ndarray:
    """A 48-bit hash of each observation [T, H, W] -> int64 [T] (collisions ~ T^2 / 2^49)."""
    flat = obs.reshape(len(obs), -1).astype(np.uint64)
    if flat.shape[1] > len(_HASH_W):
        raise ValueError(f"observations of {flat.shape[1]} cells are too large to hash")
    with np.errstate(over="ignore"):
        h = (flat * _HASH_W[: flat.shape[1]]).sum(axis=1, dtype=np.uint64)
    return (h >> np.uint64(16)).astype(np.int64)


@dataclass
class Steps:
    """What metrics read of a dataset or of evaluation episodes, back to back."""

    keys: np.ndarray  # int64 [T] state keys
    actions: np.ndarray  # int64 [T]
    t: np.ndarray  # int64 [T] step within the episode
    starts: np.ndarray  # int64 [N + 1]


def steps_of(*sources) -> list[Steps]:
    """Steps of each source (Dataset or Episodes): compiled keys if all have them, else hashes."""
    compiled = all(len(s.states) == 0 or (np.asarray(s.states) >= 0).all() for s in sources)
    out = []
    for s in sources:
        keys = np.asarray(s.states, dtype=np.int64) if compiled else obs_keys(s.obs)
        out.append(Steps(keys, np.asarray(s.actions, np.int64),
                         np.asarray(s.timesteps, np.int64), np.asarray(s.starts, np.int64)))
    return out


def pair_keys(keys: np.ndarray, actions: np.ndarray, n_actions: int) -> np.ndarray:
    """One key per (state, action): key * A + a (keys stay below 2^48: no overflow)."""
    return keys * n_actions + actions


class CountModel:
    """Counts c(x, a) of actions per context x: a state, or (state, step) with `by_time`."""

    def __init__(self, steps: Steps, n_actions: int, by_time: bool = False) -> None:
        self.n_actions, self.by_time = n_actions, by_time
        ctx = self.context(steps.keys, steps.t)
        self.contexts, inv = np.unique(ctx, return_inverse=True)  # [C]
        self.counts = np.zeros((len(self.contexts), n_actions))  # [C, A]
        np.add.at(self.counts, (inv, steps.actions), 1.0)

    def context(self, keys: np.ndarray, t: np.ndarray | None) -> np.ndarray:
        if not self.by_time:
            return keys
        return keys * 128 + np.asarray(t)  # episodes last at most 100 steps

    def lookup(self, keys: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        """Row of each context in `counts`, -1 where the data never saw it. [N] -> [N]"""
        ctx = self.context(np.asarray(keys), t)
        if len(self.contexts) == 0:
            return np.full(len(ctx), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.contexts, ctx), len(self.contexts) - 1)
        return np.where(self.contexts[pos] == ctx, pos, -1)

    def probs(self, keys: np.ndarray, actions: np.ndarray, t: np.ndarray | None = None):
        """Unsmoothed empirical beta(a | x) = c(x, a) / c(x); 0 where x was never seen. [N]"""
        row = self.lookup(keys, t)
        c = np.where(row[:, None] >= 0, self.counts[np.maximum(row, 0)], 0.0)  # [N, A]
        tot = c.sum(axis=1)
        return np.where(tot > 0, c[np.arange(len(row)), actions] / np.maximum(tot, 1), 0.0)


def select_episodes(steps: Steps, mask: np.ndarray) -> Steps:
    """The steps of the episodes where `mask` [N] is True."""
    lengths = np.diff(steps.starts)
    ep = np.repeat(np.arange(len(lengths)), lengths)
    keep = np.asarray(mask, dtype=bool)[ep]
    starts = np.concatenate([[0], np.cumsum(lengths[mask])]).astype(np.int64)
    return Steps(steps.keys[keep], steps.actions[keep], steps.t[keep], starts)
